"""Self-check (自查): rules that find, in our own data, the problems inspectors found elsewhere.

Each rule is a function `(prefix, today)` registered with `@rule(code, ...)` that yields its
findings; the registry gives each one the rule's code (`Finding.rule`) and the function, as
registered, returns them as a list. The prefix narrows a rule to one county (or less). A
finding names its subject (what it is about, e.g. one household) and a fingerprint of the
data that made it a finding: `run()` stores each subject once while it is open, and a
dismissed finding comes back only when its fingerprint changes (the data changed).
Thresholds are settings with defaults.

Document 004 lists the patterns; each one is a rule.

Split by concept: `registry` (`Finding`, `Rule`, `@rule`, `RULES`, `fingerprint`),
`household_rules` (households and their appraisals), `project_rules` (renovation projects
and payouts), `runner` (`run()` and its `RunResult`); `rectification/photo_checks.py` adds the
photo rules after these. `from rectification import selfcheck; selfcheck.run(...)` reads as
before.
"""

# The rules are listed (and run, and shown) in the order they register, that is the order
# their modules are imported: the household rules, then the project rules.
from rectification.selfcheck.household_rules import (  # noqa: F401
    _households,
    _renovation_started_households,
    cd_not_started,
    d_house_occupied,
    new_list_not_appraised,
)
from rectification.selfcheck.project_rules import (  # noqa: F401
    _project_finding,
    _projects,
    acceptance_without_evaluation,
    area_per_person_out_of_standard,
    commitment_without_date,
    moved_in_before_acceptance,
    national_entry_late,
    old_house_not_demolished,
    payout_before_acceptance,
    same_start_completion_dates,
)
from rectification.selfcheck.registry import (  # noqa: F401
    RULES,
    Finding,
    Rule,
    _date,
    _setting,
    fingerprint,
    rule,
)
from rectification.selfcheck.runner import (  # noqa: F401
    _LOCK_KEY,
    RunResult,
    run,
)
