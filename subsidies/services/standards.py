"""补助标准: the county's subsidy standards."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction

from accounts.models import User
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import require_role
from subsidies.models import SubsidyStandard
from subsidies.services._common import (
    CENT,
    STANDARD_ROLES,
)

# --- standards -------------------------------------------------------------------------


@attributed
def standard_update(
    *,
    standard: SubsidyStandard,
    by: User,
    base_amount: Decimal,
    per_person: Decimal,
    cap: Decimal,
    note: str = "",
) -> SubsidyStandard:
    """A county reviewer edits one line of the county's standard (audited by pghistory)."""
    require_role(by, STANDARD_ROLES, "修改补助标准（仅限县住建局审核员）")
    values = {}
    for name, value in (("base_amount", base_amount), ("per_person", per_person), ("cap", cap)):
        try:
            values[name] = Decimal(str(value)).quantize(CENT)
        except (InvalidOperation, ValueError) as exc:
            raise DomainError("金额不是有效的数字。") from exc
        if values[name] < 0:
            raise DomainError("金额不能为负数。")
    if values["cap"] < values["base_amount"]:
        raise DomainError("封顶金额不能低于基础金额。")
    with transaction.atomic():
        locked = lock_for_update(
            SubsidyStandard.objects.visible_to(by),
            standard.pk,
            missing="该补助标准不在您的管辖区划内。",
            busy="其他用户正在修改该补助标准，请稍后再试。",
        )
        for name, value in values.items():
            setattr(locked, name, value)
        locked.note = (note or "").strip()[:200]
        locked.save()
        return locked
