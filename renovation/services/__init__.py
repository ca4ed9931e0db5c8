"""Every write of the renovation app: one function per step of DOMAIN.md "Renovation".

Each one locks the project row (a lock held by someone else is a conflict, not a wait),
checks role, area and prerequisites against the step table (`renovation.steps`), and refuses
anything out of order with a Chinese message before anything is written: a refused call
changes nothing. Split by concept: `review` (application to joint review), `approval`
(publicity, approval and the amount override), `construction` (letter to completion),
`closeout` (acceptance to 销号); `from renovation import services;
services.project_approve(...)` reads as before.
"""

# The roles live with the step table; re-exported so `services.APPROVE_ROLES` reads as before.
from renovation.services._common import (  # noqa: F401
    CONFLICT_MESSAGE,
    MAX_PHOTOS,
    MIN_REPRESENTATIVES,
    NOT_IN_AREA,
    SPLIT_SCRUTINY_YEARS,
    BatchRefused,
    S,
    _date,
    _lock,
    _move,
    _not_before,
    _text,
    _today,
    _validate_file,
    county_of,
    needs_split_scrutiny,
)
from renovation.services.approval import (  # noqa: F401
    PUBLICITY_ORDER,
    approval_blockers,
    objection_record,
    objection_resolve,
    pending_override,
    project_approve,
    project_override_amount,
    project_override_decide,
    projects_approve_batch,
    publicities_start,
    publicity_days,
    publicity_start,
)
from renovation.services.closeout import (  # noqa: F401
    area_exception_grant,
    area_standard_for,
    area_violation,
    demolition_not_applicable,
    demolition_record,
    project_accept,
    project_accept_failed,
    project_close,
    project_end,
    project_move_in,
)
from renovation.services.construction import (  # noqa: F401
    commitment_record,
    construction_complete,
    construction_start,
    default_completion_due,
    open_quality_problems,
    project_notify,
    project_photos_add,
    quality_check_record,
)
from renovation.services.national import (  # noqa: F401, E402
    NATIONAL_ROLES,
    national_entries_record,
    paid_on,
    stage_date,
)
from renovation.services.papers import signed_paper_upload  # noqa: F401
from renovation.services.review import (  # noqa: F401
    application_refusal,
    joint_review_record,
    project_apply,
    project_update_plan,
    township_review,
    village_review_record,
)
from renovation.steps import (  # noqa: F401 - re-exported: services.APPROVE_ROLES
    ACCEPT_ROLES,
    APPLY_ROLES,
    APPROVE_ROLES,
    AREA_EXCEPTION_ROLES,
    CLOSE_ROLES,
    CONSTRUCTION_ROLES,
    DEMOLITION_ROLES,
    END_ROLES,
    JOINT_REVIEW_ROLES,
    NOTIFY_ROLES,
    OBJECTION_ROLES,
    OVERRIDE_ROLES,
    PHOTO_ROLES,
    PUBLICITY_ROLES,
    QUALITY_ROLES,
    TOWNSHIP_REVIEW_ROLES,
    VILLAGE_REVIEW_ROLES,
    WRITE_ROLES,
)
