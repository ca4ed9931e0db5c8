"""乡镇垫付: a township's advances, reported and reimbursed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from accounts.models import Area, AreaLevel, User
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import date_given, require_role
from renovation.models import RenovationProject
from subsidies.models import (
    PayoutBatch,
    TownshipAdvance,
)
from subsidies.services._common import (
    ADVANCE_ROLES,
    REIMBURSE_ROLES,
    R,
    _d,
    _lock_projects,
    _money,
    _yuan,
)
from subsidies.services.batches import paid_total

# --- township advances -----------------------------------------------------------------


@attributed
def advance_record(
    *,
    project: RenovationProject,
    by: User,
    amount: Decimal,
    advanced_on: dt.date,
    note: str = "",
    today: dt.date | None = None,
) -> TownshipAdvance:
    """A township pre-finances a project by construction progress (DOMAIN "Subsidies")."""
    require_role(by, ADVANCE_ROLES, "登记乡镇垫付")
    amount = _money(amount, "垫付金额")
    date_given(advanced_on, "垫付日期", today)
    with transaction.atomic():
        projects = _lock_projects(
            list(
                RenovationProject.objects.visible_to(by)
                .filter(pk=project.pk)
                .values_list("pk", flat=True)
            )
        )
        project = projects.get(project.pk)
        if project is None:
            raise DomainError("该项目不在您的管辖区划内。")
        if project.approved_amount is None:
            raise DomainError("项目尚未批准，不能垫付。")
        already = paid_total(project)
        if already + amount > project.approved_amount:
            raise DomainError(
                f"垫付与拨付合计{_yuan(already + amount)}元将超过核定补助金额"
                f"{_yuan(project.approved_amount)}元（已垫付或拨付{_yuan(already)}元）。"
            )
        township = Area.objects.get(pk=project.household.village_id[:9] + "000")
        if township.level != AreaLevel.TOWNSHIP:
            raise DomainError("找不到该项目所属乡镇。")
        return TownshipAdvance.objects.create(
            project=project,
            township=township,
            amount=amount,
            advanced_on=advanced_on,
            note=(note or "").strip()[:200],
            recorded_by=by,
        )


REPORT_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})


def _lock_advance(advance: TownshipAdvance, by: User) -> TownshipAdvance:
    return lock_for_update(
        TownshipAdvance.objects.visible_to(by),
        advance.pk,
        missing="该垫付记录不在您的管辖区划内。",
        busy="其他用户正在处理该垫付记录，请稍后再试。",
    )


@attributed
def advance_report(
    *, advance: TownshipAdvance, by: User, reported_on: dt.date, today: dt.date | None = None
) -> TownshipAdvance:
    """The township reports its advance up for reimbursement (document 000): once, not
    before the advance, and not after it was paid back."""
    require_role(by, REPORT_ROLES, "申请归还乡镇垫付")
    date_given(reported_on, "申请归还日期", today)
    with transaction.atomic():
        locked = _lock_advance(advance, by)
        if locked.reimbursed_on is not None:
            raise DomainError(f"该笔垫付已于{_d(locked.reimbursed_on)}归还。")
        if locked.reported_on is not None:
            raise DomainError(f"该笔垫付已于{_d(locked.reported_on)}申请归还。")
        if reported_on < locked.advanced_on:
            raise DomainError(
                f"申请归还日期{_d(reported_on)}不能早于垫付日期{_d(locked.advanced_on)}。"
            )
        locked.reported_on = reported_on
        locked.reported_by = by
        locked.save(update_fields=["reported_on", "reported_by"])
        return locked


@attributed
def advance_reimburse(
    *,
    advance: TownshipAdvance,
    by: User,
    reimbursed_on: dt.date,
    batch: PayoutBatch | None = None,
    today: dt.date | None = None,
) -> TownshipAdvance:
    """The county pays the township back, once, not before the advance."""
    require_role(by, REIMBURSE_ROLES, "登记垫付归还（仅限县住建局审核员）")
    date_given(reimbursed_on, "归还日期", today)
    with transaction.atomic():
        locked = _lock_advance(advance, by)
        if locked.reimbursed_on is not None:
            raise DomainError(f"该笔垫付已于{_d(locked.reimbursed_on)}归还，不能重复归还。")
        if reimbursed_on < locked.advanced_on:
            raise DomainError(
                f"归还日期{_d(reimbursed_on)}不能早于垫付日期{_d(locked.advanced_on)}。"
            )
        if batch is not None and not PayoutBatch.objects.visible_to(by).filter(pk=batch.pk):
            raise DomainError("该批次不在您的管辖区划内。")
        locked.reimbursed_on = reimbursed_on
        locked.reimbursed_by = by
        locked.reimbursement_batch = batch
        locked.save(update_fields=["reimbursed_on", "reimbursed_by", "reimbursement_batch"])
        return locked
