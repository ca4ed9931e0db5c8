"""Every write of the rectification ledger: items, progress, close-out, campaigns, complaints.

"Fake rectification" (虚假整改) is the sin this module guards against: an item is closed (销号)
only with evidence on file and by a county verifier who is not the one who submitted it.

Split by concept: `items` (entry, progress notes and stages, submission, close-out, reopening),
`campaigns` (整改批次), `complaints` (群众反映, and their conversion into an item), `findings`
(running the self-check, dismissing and converting its findings), `ledger_import` (an Excel
ledger previewed, then applied or cancelled); `from rectification import services;
services.item_close(...)` reads as before.
"""

# `steps` is re-exported too: `services.steps.refusal(...)` reads as before.
from rectification import steps  # noqa: F401
from rectification.services._common import (  # noqa: F401
    CLOSE_BY_OTHER,
    CLOSE_NEEDS_EVIDENCE,
    CLOSE_ROLES,
    ITEM_FIELDS,
    LEDGER_ROLES,
    LONG_TERM_NEEDS_STAGE,
    MAX_FILES,
    NOT_IN_AREA,
    PROGRESS_ROLES,
    VERIFY_ROLES,
    _county_of,
    _in_scope,
    _validate_files,
)
from rectification.services.campaigns import (  # noqa: F401
    campaign_create,
    campaign_update,
)
from rectification.services.complaints import (  # noqa: F401
    COMPLAINT_ROLES,
    _lock_complaint,
    complaint_convert,
    complaint_create,
    complaint_update,
)
from rectification.services.findings import (  # noqa: F401
    SELFCHECK_ROLES,
    _common_area,
    finding_dismiss,
    findings_convert,
    selfcheck_run,
)
from rectification.services.items import (  # noqa: F401
    _lock_item,
    _save_stages,
    _validate_item_fields,
    item_close,
    item_create,
    item_reopen,
    item_start,
    item_submit,
    item_update,
    note_add,
    stage_mark_done,
)
from rectification.services.ledger_import import (  # noqa: F401
    ledger_import_apply,
    ledger_import_cancel,
    ledger_import_upload,
)
