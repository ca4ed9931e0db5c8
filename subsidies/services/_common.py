"""Roles, messages, money helpers and the row locks the subsidies services share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from accounts.models import Role, User
from accounts.services import county_of
from core.errors import DomainError
from core.locking import lock_all_for_update, lock_for_update, save_versioned
from households.models import Household
from renovation.models import RenovationProject
from subsidies.models import (
    BatchStatus,
    PayoutBatch,
)

R = Role
B = BatchStatus

# Who does what (DOMAIN.md "People and places"); officials are never writers.
STANDARD_ROLES = frozenset({R.COUNTY_REVIEWER})
BATCH_ROLES = frozenset({R.COUNTY_REVIEWER})
PAY_ROLES = frozenset({R.COUNTY_REVIEWER, R.COUNTY_APPROVER})
RECORD_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
ADVANCE_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
REIMBURSE_ROLES = frozenset({R.COUNTY_REVIEWER})
WRITE_ROLES = STANDARD_ROLES | BATCH_ROLES | PAY_ROLES | RECORD_ROLES | ADVANCE_ROLES

CONFLICT_MESSAGE = "其他用户正在处理该批次，请稍后再试。"
PROJECT_CONFLICT = "其他用户正在处理该项目，请稍后再试。"
NOT_ACCEPTED = "该项目尚未通过竣工验收，不能拨付补助资金"
NO_ACCOUNT = "该户未登记一卡通账号"
SAME_SUBMITTER = "提交人不能同时确认拨付"
CENT = Decimal("0.01")


class LinesRefused(DomainError):
    """Adding lines changed nothing because some failed; `errors` maps project id → reason."""

    def __init__(self, message: str, errors: dict[int, str]):
        super().__init__(message)
        self.errors = errors


# --- helpers ---------------------------------------------------------------------------


def _today(today: dt.date | None = None) -> dt.date:
    return today or timezone.localdate()


def _d(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _money(value, label: str = "金额") -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DomainError(f"{label}不是有效的数字。") from exc
    if not amount.is_finite() or amount <= 0:
        raise DomainError(f"{label}必须大于0。")
    if amount >= Decimal("100000000"):
        raise DomainError(f"{label}过大。")
    return amount


def _lock_batch(batch: PayoutBatch, by: User, version: int | None = None) -> PayoutBatch:
    return lock_for_update(
        PayoutBatch.objects.visible_to(by),
        batch.pk,
        version=version,
        missing="该批次不在您的管辖区划内。",
        busy=CONFLICT_MESSAGE,
        changed="该批次已被他人修改，请刷新页面后重试。",
    )


def _lock_projects(ids: Sequence[int]) -> dict[int, RenovationProject]:
    """Projects and their households, locked in id order (no deadlock between two batches)."""
    projects = lock_all_for_update(
        RenovationProject.objects.unscoped("ids come from a scoped read")
        .select_related("household", "household__village", "household__village__parent")
        .filter(pk__in=ids)
        .order_by("pk"),
        busy=PROJECT_CONFLICT,
    )
    lock_all_for_update(
        Household.objects.unscoped("households of the scoped projects")
        .filter(pk__in=sorted({p.household_id for p in projects}))
        .order_by("pk")
        .only("pk"),
        busy=PROJECT_CONFLICT,
    )
    return {p.pk: p for p in projects}


# The result import (moving to the shared import pipeline) still calls it by this name.
_save = save_versioned


_county_of = county_of
