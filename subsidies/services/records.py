"""因灾再次纳入 and earlier rebuild subsidies: the records the double-subsidy rule reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from accounts.scoping import HELD_PARENT
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import require_role
from core.uploads import DOCUMENT_TYPES, files_removed_on_error, store_upload, validate_upload
from households.models import Household
from inspections.selectors import current_state
from renovation.models import RenovationProject
from subsidies.models import (
    DisasterReadmission,
    DisasterRebuildSubsidy,
    HistoricRenovation,
)
from subsidies.services._common import (
    RECORD_ROLES,
    _money,
    _today,
)

# --- double-subsidy records ------------------------------------------------------------


@attributed
def readmission_record(
    *,
    project: RenovationProject,
    by: User,
    proof_file,
    note: str = "",
    today: dt.date | None = None,
) -> DisasterReadmission:
    """Re-admit a household renovated before whose house a disaster damaged again."""

    def new_record() -> DisasterReadmission:
        found = RenovationProject.objects.visible_to(by).filter(pk=project.pk).first()
        if found is None:
            raise DomainError("该项目不在您的管辖区划内。")
        if DisasterReadmission.objects.unscoped(HELD_PARENT).filter(project=found).exists():
            raise DomainError("该项目已登记因灾再次纳入。")
        return DisasterReadmission(household_id=found.household_id, project=found)

    return _readmission(new_record, by=by, proof_file=proof_file, note=note, today=today)


@attributed
def readmission_for_household(
    *,
    household: Household,
    by: User,
    proof_file,
    note: str = "",
    today: dt.date | None = None,
) -> DisasterReadmission:
    """因灾再次纳入: a house renovated and closed out before, made dangerous again by a
    disaster, may get a new project with the township's damage proof (documents 000, 003).
    The next application of the household uses it."""

    def new_record() -> DisasterReadmission:
        locked = lock_for_update(
            Household.objects.visible_to(by), household.pk, missing="该农户不在您的管辖区划内。"
        )
        earlier = (
            RenovationProject.objects.unscoped(HELD_PARENT)
            .filter(household=locked, status="closed")
            .order_by("-closed_on")
            .first()
        )
        historic = (
            HistoricRenovation.objects.unscoped(HELD_PARENT).filter(household=locked).exists()
        )
        if earlier is None and not historic:
            raise DomainError("该农户没有已验收销号的改造项目或历年改造记录，无需因灾再次纳入。")
        state = current_state(locked)
        if state is None or state.level not in ("C", "D", "none"):
            raise DomainError(
                "该户房屋当前不是危房：须先有改造销号之后的新鉴定（C级、D级或无房），"
                "再登记因灾再次纳入。"
            )
        if (
            DisasterReadmission.objects.unscoped(HELD_PARENT)
            .filter(household=locked, project__isnull=True)
            .exists()
        ):
            raise DomainError("该农户已登记因灾再次纳入，尚未申请新的改造项目。")
        return DisasterReadmission(household=locked)

    return _readmission(new_record, by=by, proof_file=proof_file, note=note, today=today)


def _readmission(
    new_record: Callable[[], DisasterReadmission], *, by: User, proof_file, note: str, today
) -> DisasterReadmission:
    """What both ways of re-admitting do, in this order: the role, the proof (its file checked
    before anything is read), then in one transaction `new_record()` (the subject found in
    `by`'s area and checked, or a DomainError) saved with its proof stored (removed again if
    the transaction fails)."""
    require_role(by, RECORD_ROLES, "登记因灾再次纳入")
    if not proof_file:
        raise DomainError("请上传乡镇出具的灾害损毁证明。")
    info = validate_upload(proof_file, allowed=DOCUMENT_TYPES, label="灾害损毁证明")
    with transaction.atomic(), files_removed_on_error() as stored:
        record = new_record()
        record.proof_content_type = info.content_type
        record.note = (note or "").strip()
        record.recorded_by = by
        record.recorded_on = _today(today)
        store_upload(record, "proof_file", proof_file, info, stored)
        record.save()
        return record


@attributed
def rebuild_subsidy_record(
    *, household: Household, by: User, year: int, amount: Decimal, source_note: str = ""
) -> DisasterRebuildSubsidy:
    require_role(by, RECORD_ROLES, "登记灾后重建补助")
    amount = _money(amount)
    if not Household.objects.visible_to(by).filter(pk=household.pk).exists():
        raise DomainError("该农户不在您的管辖区划内。")
    with transaction.atomic():
        if (
            DisasterRebuildSubsidy.objects.unscoped(HELD_PARENT)
            .filter(household=household, year=year)
            .exists()
        ):
            raise DomainError(f"该户{year}年的灾后重建补助已登记。")
        return DisasterRebuildSubsidy.objects.create(
            household=household,
            year=year,
            amount=amount,
            source_note=(source_note or "").strip()[:200],
            recorded_by=by,
        )
