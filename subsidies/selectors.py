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
    FundAllocation,
    FundLevel,
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


def _sum_by_township(rows, township: str, amount: str) -> dict[str, Decimal]:
    """The sum of `amount` over `rows` per township code (`township`, the path to it; "" for
    rows without one)."""
    return {
        row["t"]: row["s"] or ZERO
        for row in rows.values(t=Coalesce(township, Value("")))
        .annotate(s=Sum(amount))
        .values("t", "s")
    }


def township_overview(user, year: int | None = None) -> list[TownshipRow]:
    """Per township: approved amount of funded projects, paid lines, outstanding."""
    projects = RenovationProject.objects.visible_to(user).filter(status__in=FUNDED)
    if year:
        projects = projects.filter(year=year)
    approved = _sum_by_township(projects, "household__township_code", "approved_amount")
    lines = PayoutLine.objects.visible_to(user).filter(status=LineStatus.PAID)
    if year:
        lines = lines.filter(project__year=year)
    paid = _sum_by_township(lines, "project__household__township_code", "amount")
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


# --- funds from higher levels (issue 16 points 5 and 6) ----------------------------------


@dataclass
class FundsRow:
    """One line of the funds report: a level and year (`township` None) or a township."""

    year: int
    level: str
    level_label: str
    township: str = ""
    allocated: Decimal = ZERO
    committed: Decimal = ZERO
    drawn: Decimal = ZERO
    paid: Decimal = ZERO
    households: int = 0

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.drawn


def _drawn_lines(allocations):
    return PayoutLine.objects.unscoped("lines of the county's allocations").filter(
        batch__allocation__in=allocations
    )


def funds_summary(user, year: int | None = None) -> dict:
    """Per level and year, and per township and level: allocated (资金指标), committed (the
    approved amounts of the year's funded projects, per year), drawn (lines of batches on
    the allocations that did not fail, and the advances they reimburse), paid (lines the
    finance bureau paid, and reimbursed advances), balance = allocated − drawn."""

    allocations = FundAllocation.objects.visible_to(user)
    if year is not None:
        allocations = allocations.filter(year=year)
    labels = dict(FundLevel.choices)
    levels: dict[tuple[int, str], FundsRow] = {}
    townships: dict[tuple[int, str, str], FundsRow] = {}
    township_names = {a.code: a.name for a in Area.objects.filter(level="township")}

    def level_row(y, level):
        return levels.setdefault((y, level), FundsRow(y, level, labels[level]))

    def township_row(y, level, code):
        return townships.setdefault(
            (y, level, code), FundsRow(y, level, labels[level], township_names.get(code, code))
        )

    for a in allocations.values("year", "level", "amount", "township_id"):
        level_row(a["year"], a["level"]).allocated += a["amount"]
        if a["township_id"]:
            township_row(a["year"], a["level"], a["township_id"]).allocated += a["amount"]

    lines = (
        _drawn_lines(allocations)
        .exclude(status=LineStatus.FAILED)
        .values(
            "batch__allocation__year",
            "batch__allocation__level",
            "batch__allocation__township_id",
            "project__household__township_code",
            "project__household_id",
            "status",
            "amount",
        )
    )
    paid_households: dict[tuple[int, str, str], set] = {}
    for line in lines:
        y, level = line["batch__allocation__year"], line["batch__allocation__level"]
        code = line["project__household__township_code"] + "000"
        row, trow = level_row(y, level), township_row(y, level, code)
        row.drawn += line["amount"]
        if line["batch__allocation__township_id"]:
            trow.drawn += line["amount"]
        if line["status"] == LineStatus.PAID:
            row.paid += line["amount"]
            trow.paid += line["amount"]
            paid_households.setdefault((y, level, code), set()).add(line["project__household_id"])
    advances = (
        TownshipAdvance.objects.unscoped("advances reimbursed from the county's allocations")
        .filter(reimbursement_batch__allocation__in=allocations)
        .values(
            "reimbursement_batch__allocation__year",
            "reimbursement_batch__allocation__level",
            "reimbursement_batch__allocation__township_id",
            "township_id",
            "amount",
        )
    )
    for adv in advances:
        y = adv["reimbursement_batch__allocation__year"]
        level = adv["reimbursement_batch__allocation__level"]
        row, trow = level_row(y, level), township_row(y, level, adv["township_id"])
        row.drawn += adv["amount"]
        row.paid += adv["amount"]
        trow.paid += adv["amount"]
        if adv["reimbursement_batch__allocation__township_id"]:
            trow.drawn += adv["amount"]
    for key, households in paid_households.items():
        townships[key].households = len(households)

    committed = dict(
        RenovationProject.objects.visible_to(user)
        .filter(status__in=[s.value for s in FUNDED], approved_amount__isnull=False)
        .values_list("year")
        .annotate(s=Sum("approved_amount"))
    )
    years = sorted({y for y, _level in levels}, reverse=True)
    county_code = user.area.county_code if user.area else None
    county = Area.objects.filter(pk=county_code).first() if county_code else None
    paid_year = year or timezone.localdate().year
    paid_townships = (
        [
            {"code": code, "township": township_names.get(code, code), "households": n, "amount": a}
            for code, (n, a) in sorted(paid_per_township(county.code[:6], paid_year).items())
        ]
        if county is not None
        else []
    )
    return {
        "paid_year": paid_year,
        "paid_townships": paid_townships,
        "levels": [levels[k] for k in sorted(levels, key=lambda k: (-k[0], k[1]))],
        "townships": [townships[k] for k in sorted(townships, key=lambda k: (-k[0], k[2], k[1]))],
        "committed": {y: committed.get(y, ZERO) for y in years},
        "totals": FundsRow(
            year or 0,
            "",
            "合计",
            allocated=sum((r.allocated for r in levels.values()), ZERO),
            drawn=sum((r.drawn for r in levels.values()), ZERO),
            paid=sum((r.paid for r in levels.values()), ZERO),
        ),
    }


def paid_per_township(code6: str, year: int) -> dict[str, tuple[int, Decimal]]:
    """Per township (12-digit code): households and amount the finance bureau paid for the
    year's projects. The monthly report and the funds report both read this."""
    rows = (
        PayoutLine.objects.in_area(code6)
        .filter(status=LineStatus.PAID, project__year=year)
        .order_by()
        .values("project__township_prefix")
        .annotate(n=Count("project", distinct=True), amount=Sum("amount"))
    )
    return {r["project__township_prefix"] + "000": (r["n"], r["amount"] or ZERO) for r in rows}


def allocation_list(user):
    return FundAllocation.objects.visible_to(user).select_related("township", "created_by")
