"""Reads of the reports app: the monthly figures, alert lists and the chart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.db.models.functions import Left

from accounts.models import Area
from households.models import Household
from rectification.models import ItemStatus, RectificationItem
from renovation.models import FUNDED, RenovationProject
from reports.models import Alert, AlertStatus, AnnualTarget, MonthlyReportRow
from subsidies.selectors import paid_per_township

COUNT_FIELDS = (
    "households_total",
    "appraised_c",
    "appraised_d",
    "target",
    "planned",
    "dynamic",
    "started",
    "completed",
    "accepted",
    "paid_count",
    "demolished",
    "overdue_alerts",
    "rectification_open",
    "rectification_closed",
)
ZERO = Decimal("0.00")


def completion_rate(completed: int, planned: int) -> Decimal:
    if not planned:
        return Decimal("0.0")
    return (Decimal(100) * completed / planned).quantize(Decimal("0.1"), ROUND_HALF_UP)


def township_figures(county: Area, month: dt.date) -> dict[str, dict]:
    """Per township code: the figures of the monthly report, as of now, for `month`'s year.

    `county` may be any area: a city or a province gives the townships of all its counties
    (the roll-up sums them per county, `reports.rollup`).

    Households and appraisals: the registry as it stands. Projects: the report year's plan
    (approved or later, not withdrawn). Paid: lines confirmed paid for that year's projects.
    """

    code6 = county.prefix
    year = month.year
    rows: dict[str, dict] = defaultdict(
        lambda: (
            {name: 0 for name in COUNT_FIELDS} | {"paid_amount": ZERO, "households_by_category": {}}
        )
    )

    for r in (
        Household.objects.in_area(code6)
        .filter(exited_on__isnull=True)  # current targets: not exited from the lists
        .values("township_code", "category")
        .annotate(n=Count("id"))
    ):
        row = rows[r["township_code"] + "000"]
        row["households_by_category"][r["category"]] = r["n"]
        row["households_total"] += r["n"]

    # The current level is kept on the household (indexed with the scoping column).
    for r in (
        Household.objects.in_area(code6)
        .filter(safety_level__in=["C", "D"])
        .values("township_code", "safety_level")
        .annotate(n=Count("id"))
    ):
        rows[r["township_code"] + "000"][f"appraised_{r['safety_level'].lower()}"] = r["n"]

    for r in (
        RenovationProject.objects.in_area(code6)
        .filter(year=year, status__in=FUNDED)
        .order_by()
        .values("township_prefix")
        .annotate(
            planned=Count("id"),
            dynamic=Count("id", filter=Q(dynamic=True)),
            started=Count("id", filter=Q(started_on__isnull=False)),
            completed=Count("id", filter=Q(completed_on__isnull=False)),
            accepted=Count("id", filter=Q(accepted_on__isnull=False)),
            demolished=Count("id", filter=Q(demolition__isnull=False)),
        )
    ):
        row = rows[r.pop("township_prefix") + "000"]
        row.update(r)

    # The same figures as the funds report (subsidies.selectors.paid_per_township).
    for code, (count, amount) in paid_per_township(code6, year).items():
        rows[code]["paid_count"] = count
        rows[code]["paid_amount"] = amount

    for r in (
        Alert.objects.in_area(code6)
        .filter(status=AlertStatus.OPEN)
        .annotate(t=Left("area_id", 9))
        .values("t")
        .annotate(n=Count("id"))
    ):
        if not r["t"].endswith("000"):  # county-level alerts count in no township
            rows[r["t"] + "000"]["overdue_alerts"] = r["n"]

    for r in (
        RectificationItem.objects.in_area(code6)
        .annotate(t=Left("area_id", 9))
        .values("t")
        .annotate(
            closed=Count("id", filter=Q(status=ItemStatus.CLOSED)),
            open=Count("id", filter=~Q(status=ItemStatus.CLOSED)),
        )
    ):
        if not r["t"].endswith("000"):
            rows[r["t"] + "000"]["rectification_open"] = r["open"]
            rows[r["t"] + "000"]["rectification_closed"] = r["closed"]

    # The townships' annual targets (the county's own is its report's total: `area_target`).
    for code, n in (
        AnnualTarget.objects.in_area(code6)
        .filter(year=year, area__level="township")
        .values_list("area_id", "renovations")
    ):
        rows[code]["target"] = n

    for row in rows.values():
        row["completion_rate"] = completion_rate(row["completed"], row["planned"])
    return dict(rows)


def area_target(area: Area, year: int) -> int | None:
    """The renovations assigned to `area` (a county, a city) for `year`, if any."""
    return (
        AnnualTarget.objects.in_area(area)
        .filter(area=area, year=year)
        .values_list("renovations", flat=True)
        .first()
    )


def rank_rows(rows: list[MonthlyReportRow]) -> list[tuple[MonthlyReportRow, int]]:
    """Competition ranking by completion rate, highest first (equal rates share a rank)."""
    ordered = sorted(rows, key=lambda r: (-r.completion_rate, r.area_id))
    result, rank, previous = [], 0, None
    for position, row in enumerate(ordered, start=1):
        if row.completion_rate != previous:
            rank, previous = position, row.completion_rate
        result.append((row, rank))
    return result


def total_figures(rows: list[MonthlyReportRow]) -> dict:
    total: dict = {name: sum(getattr(r, name) for r in rows) for name in COUNT_FIELDS}
    total["paid_amount"] = sum((r.paid_amount for r in rows), ZERO)
    categories: dict[str, int] = defaultdict(int)
    for r in rows:
        for key, n in r.households_by_category.items():
            categories[key] += n
    total["households_by_category"] = dict(categories)
    total["completion_rate"] = completion_rate(total["completed"], total["planned"])
    total["rank"] = None
    return total


def report_rows(report) -> tuple[list[MonthlyReportRow], MonthlyReportRow | None]:
    rows = list(report.rows.select_related("area", "submitted_by").order_by("is_total", "area_id"))
    return [r for r in rows if not r.is_total], next((r for r in rows if r.is_total), None)


def completion_chart(rows: list[MonthlyReportRow], width: int = 640) -> dict:
    """Geometry of a horizontal bar chart (completion rate by township), drawn as inline SVG."""
    label_w, bar_h, gap, top = 110, 22, 8, 10
    plot_w = width - label_w - 60
    bars = []
    for i, row in enumerate(rows):
        rate = float(row.completion_rate)
        y = top + i * (bar_h + gap)
        bars.append(
            {
                "label": row.area.name,
                "rate": row.completion_rate,
                "y": y,
                "text_y": y + bar_h * 0.7,
                "w": round(plot_w * min(rate, 100) / 100, 1),
                "value_x": label_w + round(plot_w * min(rate, 100) / 100, 1) + 6,
            }
        )
    return {
        "width": width,
        "height": top * 2 + len(rows) * (bar_h + gap),
        "label_w": label_w,
        "bar_h": bar_h,
        "bars": bars,
    }
