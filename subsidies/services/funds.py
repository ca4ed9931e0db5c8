"""上级资金: allocations from higher levels and what a batch may draw on them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from accounts.models import Area, AreaLevel, User
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import date_given, require_role
from subsidies.models import (
    FundAllocation,
    FundLevel,
    LineStatus,
    PayoutBatch,
    PayoutLine,
    TownshipAdvance,
)
from subsidies.services._common import (
    R,
    _county_of,
    _money,
    _today,
    _yuan,
)

# --- funds from higher levels ----------------------------------------------------------

ALLOCATION_ROLES = frozenset({R.COUNTY_REVIEWER})


@attributed
def allocation_create(
    *,
    by: User,
    document_number: str,
    issued_on: dt.date,
    level: str,
    year: int,
    amount,
    township: Area | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> FundAllocation:
    """Funds a level allocated to the county (资金指标文件), optionally for one township."""
    require_role(by, ALLOCATION_ROLES, "登记资金指标（仅限县住建局审核员）")
    document_number = (document_number or "").strip()
    if not document_number:
        raise DomainError("请填写资金指标文号。")
    if level not in FundLevel.values:
        raise DomainError("请选择资金级次（中央、省级、市级、县级）。")
    date_given(issued_on, "下达日期", today)
    if not year or not 2000 <= int(year) <= _today(today).year + 1:
        raise DomainError("年度无效。")
    amount = _money(amount, "指标金额")
    county = _county_of(by)
    if township is not None and (
        township.level != AreaLevel.TOWNSHIP or township.parent_id != county.pk
    ):
        raise DomainError("指定乡镇不在本县。")
    with transaction.atomic():
        if (
            FundAllocation.objects.unscoped("numbers are unique county-wide")
            .filter(county=county, document_number=document_number, level=level)
            .exists()
        ):
            raise DomainError(f"文号“{document_number}”的{FundLevel(level).label}资金指标已登记。")
        return FundAllocation.objects.create(
            county=county,
            document_number=document_number[:80],
            issued_on=issued_on,
            level=level,
            year=int(year),
            amount=amount,
            township=township,
            note=(note or "").strip()[:200],
            created_by=by,
        )


def allocation_drawn(allocation: FundAllocation) -> Decimal:
    """What batches drawing on the allocation take from it: their lines that did not fail
    and the township advances they reimburse."""
    lines = PayoutLine.objects.unscoped("lines of the allocation's batches").filter(
        batch__allocation=allocation
    ).exclude(status=LineStatus.FAILED).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    advances = TownshipAdvance.objects.unscoped("advances of the allocation's batches").filter(
        reimbursement_batch__allocation=allocation
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return lines + advances


def _check_allocation(batch: PayoutBatch) -> None:
    """Refuse a batch that would overdraw its allocation, naming the shortfall; and lines
    outside the township an allocation is earmarked for. The allocation row is locked, so
    two batches on one allocation are checked one after the other."""
    if batch.allocation_id is None:
        return
    allocation = lock_for_update(
        FundAllocation.objects.unscoped("the held batch's allocation"),
        batch.allocation_id,
        busy="其他用户正在使用该资金指标，请稍后再试。",
    )
    if allocation.township_id:
        outside = (
            PayoutLine.objects.unscoped("lines of the held batch")
            .filter(batch=batch)
            .exclude(project__household__village__parent_id=allocation.township_id)
            .count()
        )
        if outside:
            raise DomainError(
                f"资金指标“{allocation.document_number}”指定用于{allocation.township.name}，"
                f"批次中有{outside}户不属于该乡镇。"
            )
    drawn = allocation_drawn(allocation)
    if drawn > allocation.amount:
        raise DomainError(
            f"资金不足：资金指标“{allocation.document_number}”共{_yuan(allocation.amount)}元，"
            f"各批次合计将使用{_yuan(drawn)}元，缺口{_yuan(drawn - allocation.amount)}元。"
        )


def _allocation_of(by: User, allocation: FundAllocation | None) -> FundAllocation | None:
    if allocation is None:
        return None
    found = FundAllocation.objects.visible_to(by).filter(pk=allocation.pk).first()
    if found is None:
        raise DomainError("该资金指标不存在或不在您的管辖区划内。")
    return found
