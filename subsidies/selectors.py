"""Reads shared by pages, API and exports; all scoped to the user's area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Area
from renovation.models import FUNDED, RenovationProject
from subsidies.models import (
    PAYABLE_PROJECT_STATUSES,
    LineStatus,
    PayoutBatch,
    PayoutLine,
    TownshipAdvance,
)

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def batch_list(user):
    # A batch is seen county-wide, its lines only in their area: count and sum only those.
    visible = Q(lines__in=PayoutLine.objects.visible_to(user))
    return (
        PayoutBatch.objects.visible_to(user)
        .select_related("created_by", "submitted_by", "paid_by", "reconciled_by")
        .annotate(
            line_count=Count("lines", filter=visible),
            total=Coalesce(
                Sum("lines__amount", filter=visible & ~Q(lines__status=LineStatus.FAILED)),
                Value(ZERO),
                output_field=MONEY,
            ),
        )
    )


def batch_total(batch: PayoutBatch) -> Decimal:
    return batch.lines.exclude(status=LineStatus.FAILED).aggregate(s=Sum("amount"))["s"] or ZERO


def line_list(user):
    return PayoutLine.objects.visible_to(user).select_related(
        "batch", "project", "project__household", "project__household__village__parent"
    )


def advance_list(user):
    return TownshipAdvance.objects.visible_to(user).select_related(
        "township", "project", "project__household", "recorded_by", "reimbursement_batch"
    )


def _paid_subquery(statuses):
    return Coalesce(
        Subquery(
            PayoutLine.objects.filter(project=OuterRef("pk"), status__in=statuses)
            .values("project")
            .annotate(s=Sum("amount"))
            .values("s")[:1],
            output_field=MONEY,
        ),
        Value(ZERO),
        output_field=MONEY,
    )


@dataclass
class TownshipRow:
    township: Area
    approved: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.approved - self.paid


def township_overview(user, year: int | None = None) -> list[TownshipRow]:
    """Per township: approved amount of funded projects, paid lines, outstanding."""
    projects = RenovationProject.objects.visible_to(user).filter(status__in=FUNDED)
    if year:
        projects = projects.filter(year=year)
    approved = {
        row["t"]: row["s"] or ZERO
        for row in projects.values(t=Coalesce("household__township_code", Value("")))
        .annotate(s=Sum("approved_amount"))
        .values("t", "s")
    }
    lines = PayoutLine.objects.visible_to(user).filter(status=LineStatus.PAID)
    if year:
        lines = lines.filter(project__year=year)
    paid = {
        row["t"]: row["s"] or ZERO
        for row in lines.values(t=Coalesce("project__household__township_code", Value("")))
        .annotate(s=Sum("amount"))
        .values("t", "s")
    }
    codes = sorted(set(approved) | set(paid))
    townships = Area.objects.in_bulk([c + "000" for c in codes])
    return [
        TownshipRow(townships[c + "000"], approved.get(c, ZERO), paid.get(c, ZERO))
        for c in codes
        if c + "000" in townships
    ]


# 2024 action plan: subsidy paid within one month of acceptance.
def payment_due(accepted_on: dt.date) -> dt.date:
    return accepted_on + relativedelta(months=1)


def accepted_unpaid(user, today: dt.date | None = None):
    """Accepted projects not yet fully paid, oldest acceptance first, with days waiting."""
    today = today or timezone.localdate()
    projects = (
        RenovationProject.objects.visible_to(user)
        .filter(status__in=PAYABLE_PROJECT_STATUSES, accepted_on__isnull=False)
        .select_related("household", "household__village", "household__village__parent")
        .annotate(
            paid_sum=_paid_subquery([LineStatus.PAID]),
            pending_sum=_paid_subquery([LineStatus.PENDING]),
        )
        .order_by("accepted_on", "pk")
    )
    rows = []
    for p in projects:
        if p.paid_sum >= (p.approved_amount or ZERO):
            continue
        p.days_since_acceptance = (today - p.accepted_on).days
        p.payment_due = payment_due(p.accepted_on)
        p.overdue = today > p.payment_due
        p.outstanding = (p.approved_amount or ZERO) - p.paid_sum
        rows.append(p)
    return rows


def payable_projects(user, batch: PayoutBatch | None = None):
    """Accepted projects with something left to pay and not in `batch` yet (for the picker)."""
    qs = (
        RenovationProject.objects.visible_to(user)
        .filter(status__in=PAYABLE_PROJECT_STATUSES, accepted_on__isnull=False)
        .select_related("household", "household__village", "household__village__parent")
        .annotate(
            committed=_paid_subquery([LineStatus.PAID, LineStatus.PENDING]),
        )
        .order_by("accepted_on", "pk")
    )
    if batch is not None:
        qs = qs.exclude(payout_lines__batch=batch)
    return [p for p in qs if p.committed < (p.approved_amount or ZERO)]
