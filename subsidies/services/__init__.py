"""Every write of the subsidies app: standards, payout batches and lines, advances.

Each service locks the rows it changes (a lock held by someone else is a conflict, not a
wait) and checks every rule before writing, so a refused call changes nothing. The payout
rules (DOMAIN.md "Subsidies") are checked here with messages for people, and again by
database triggers (subsidies.models) for anything that bypasses this module.

Split by concept: `standards`, `funds` (allocations from higher levels), `batches` (payout
batches and lines to the finance result), `records` (re-admission and earlier rebuild
subsidies), `advances` (township advances); `from subsidies import services;
services.batch_pay(...)` reads as before.
"""

from subsidies.services._common import (  # noqa: F401
    ADVANCE_ROLES,
    BATCH_ROLES,
    CENT,
    CONFLICT_MESSAGE,
    NO_ACCOUNT,
    NOT_ACCEPTED,
    PAY_ROLES,
    PROJECT_CONFLICT,
    RECORD_ROLES,
    REIMBURSE_ROLES,
    SAME_SUBMITTER,
    STANDARD_ROLES,
    WRITE_ROLES,
    B,
    LinesRefused,
    R,
    _county_of,
    _d,
    _lock_batch,
    _lock_projects,
    _money,
    _save,
    _today,
    _yuan,
)
from subsidies.services.advances import (  # noqa: F401
    REPORT_ROLES,
    _lock_advance,
    advance_record,
    advance_reimburse,
    advance_report,
)
from subsidies.services.batches import (  # noqa: F401
    NOT_PAID_YET,
    RESULT_BATCH_STATUSES,
    LineRequest,
    LineResult,
    _failed_account_not_corrected,
    _four_eyes,
    _next_number,
    advances_total,
    batch_add_lines,
    batch_apply_results,
    batch_create,
    batch_pay,
    batch_reconcile,
    batch_remove_line,
    batch_return,
    batch_set_allocation,
    batch_submit,
    line_mark_failed,
    line_refusal,
    lines_total,
    paid_total,
)
from subsidies.services.funds import (  # noqa: F401
    ALLOCATION_ROLES,
    _allocation_of,
    _check_allocation,
    allocation_create,
    allocation_drawn,
)
from subsidies.services.records import (  # noqa: F401
    readmission_for_household,
    readmission_record,
    rebuild_subsidy_record,
)
from subsidies.services.standards import (  # noqa: F401
    standard_update,
)
