"""The city's and the province's view of their counties: figures rolled up, counties ranked.

Document 003: "一月一考核，一月一通报" — every month the counties are ranked. The figures of a
county here are the sum of its townships' figures of the monthly report
(`reports.selectors.township_figures`, the same function the county's own report uses), so a
city's row for a county equals that county's total row, and the city's total equals the sum
of its counties.

Four rates rank the counties, each from 0 to 100 %, each with its own rank; the overall rank
follows their mean, equal weights:
- 竣工率: completed / planned (the year's approved projects);
- 录入及时率: of the started, completed and accepted stages that happened this year, the
  share entered in the national system within ANJU_NATIONAL_ENTRY_DAYS days (a stage not
  entered yet counts once that many days have passed);
- 拨付及时率: of the accepted projects whose month is over (or that are paid), the share paid
  within one month of acceptance (DOMAIN.md "Subsidies");
- 整改销号率: closed / all rectification items.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Area, AreaLevel, User
from renovation.models import FUNDED, NationalEntry, NationalStage, RenovationProject
from reports.models import AnnualTarget, MonthlyReport, RowStatus
from reports.selectors import COUNT_FIELDS, ZERO, completion_rate, township_figures
from subsidies.models import LineStatus, PayoutLine
from subsidies.selectors import payment_due

RATE_NAMES = ("completion", "entry", "payout", "closure")
RATE_LABELS = {
    "completion": "竣工率",
    "entry": "录入及时率",
    "payout": "拨付及时率",
    "closure": "整改销号率",
}


def _rate(done: int, due: int) -> Decimal | None:
    if not due:
        return None
    return (Decimal(100) * done / due).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class CountyRow:
    area: Area
    figures: dict
    rates: dict[str, Decimal | None] = field(default_factory=dict)
    ranks: dict[str, int | None] = field(default_factory=dict)
    score: Decimal | None = None
    rank: int | None = None
    report: object = None  # the county's MonthlyReport of the month, if drafted

    @property
    def submission(self) -> str:
        report = self.report
        if report is None:
            return "未生成"
        if report.sent_at:
            return f"已报送（{timezone.localtime(report.sent_at):%m-%d %H:%M}）"
        return f"未报送（乡镇已报 {report.submitted_rows}/{report.township_rows}）"


def _empty() -> dict:
    return {name: 0 for name in COUNT_FIELDS} | {"paid_amount": ZERO, "households_by_category": {}}


def _add(total: dict, figures: dict) -> None:
    for name in COUNT_FIELDS:
        total[name] += figures.get(name, 0)
    total["paid_amount"] += figures.get("paid_amount", ZERO)
    categories = total["households_by_category"]
    for key, n in figures.get("households_by_category", {}).items():
        categories[key] = categories.get(key, 0) + n


def counties_of(area: Area) -> list[Area]:
    return list(Area.objects.in_area(area).filter(level=AreaLevel.COUNTY).order_by("code"))


def county_figures(area: Area, month: dt.date) -> dict[str, dict]:
    """Per county code (12 digits) inside `area`: its townships' figures summed."""
    per_county: dict[str, dict] = defaultdict(_empty)
    for township_code, figures in township_figures(area, month).items():
        _add(per_county[township_code[:6] + "000000"], figures)

    # A county's target is what the city assigned it (as in its own report's total row).
    for code, n in (
        AnnualTarget.objects.in_area(area)
        .filter(year=month.year, area__level=AreaLevel.COUNTY)
        .values_list("area_id", "renovations")
    ):
        per_county[code]["target"] = n
    for figures in per_county.values():
        figures["completion_rate"] = completion_rate(figures["completed"], figures["planned"])
    return dict(per_county)


def _timeliness(area: Area, year: int, today: dt.date) -> dict[str, dict[str, tuple[int, int]]]:
    """Per county code: (timely, due) national-system entries and payouts."""

    days = dt.timedelta(days=settings.ANJU_NATIONAL_ENTRY_DAYS)
    reason = "the roll-up reads the areas it is given"

    def entered(stage: str):
        return Subquery(
            NationalEntry.objects.unscoped(reason)
            .filter(project=OuterRef("pk"), stage=stage)
            .values("entered_on")[:1]
        )

    first_paid = Subquery(
        PayoutLine.objects.unscoped(reason)
        .filter(project=OuterRef("pk"), status=LineStatus.PAID)
        .order_by("batch__paid_on")
        .values("batch__paid_on")[:1]
    )
    rows = (
        RenovationProject.objects.in_area(area)
        .filter(year=year, status__in=FUNDED)
        .annotate(
            e_started=entered(NationalStage.STARTED),
            e_completed=entered(NationalStage.COMPLETED),
            e_accepted=entered(NationalStage.ACCEPTED),
            paid_on=first_paid,
        )
        .values_list(
            "household__village_id",
            "started_on",
            "e_started",
            "completed_on",
            "e_completed",
            "accepted_on",
            "e_accepted",
            "paid_on",
        )
    )
    result: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {"entry": [0, 0], "payout": [0, 0]}
    )
    for village, *stages, accepted_on, e_accepted, paid_on in rows:
        counts = result[village[:6] + "000000"]
        for happened, on in (
            (stages[0], stages[1]),
            (stages[2], stages[3]),
            (accepted_on, e_accepted),
        ):
            if happened is None:
                continue
            if on is not None:
                counts["entry"][1] += 1
                counts["entry"][0] += int(on - happened <= days)
            elif happened + days < today:
                counts["entry"][1] += 1
        if accepted_on is not None:
            due = payment_due(accepted_on)
            if paid_on is not None:
                counts["payout"][1] += 1
                counts["payout"][0] += int(paid_on <= due)
            elif due < today:
                counts["payout"][1] += 1
    return {code: {k: tuple(v) for k, v in c.items()} for code, c in result.items()}


def _competition(values: dict[str, Decimal | None]) -> dict[str, int | None]:
    """Competition ranks (equal values share a rank), highest first; no value: no rank."""
    ordered = sorted((v, code) for code, v in values.items() if v is not None)
    ordered.sort(key=lambda p: (-p[0], p[1]))
    ranks: dict[str, int | None] = {code: None for code in values}
    previous, rank = None, 0
    for position, (value, code) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[code] = rank
    return ranks


def county_ranking(area: Area, month: dt.date, today: dt.date | None = None) -> dict:
    """The counties of `area` (a city or a province) with their figures, rates and ranks."""

    today = today or timezone.localdate()
    month = month.replace(day=1)
    figures = county_figures(area, month)
    timely = _timeliness(area, month.year, today)
    reports = {
        r.county_id: r
        for r in MonthlyReport.objects.in_area(area).filter(month=month).prefetch_related("rows")
    }
    rows = []
    for county in counties_of(area):
        f = figures.get(county.code, _empty() | {"completion_rate": Decimal("0.0")})
        t = timely.get(county.code, {"entry": (0, 0), "payout": (0, 0)})
        row = CountyRow(county, f, report=reports.get(county.code))
        row.rates = {
            "completion": completion_rate(f["completed"], f["planned"]) if f["planned"] else None,
            "entry": _rate(*t["entry"]),
            "payout": _rate(*t["payout"]),
            "closure": _rate(
                f["rectification_closed"], f["rectification_closed"] + f["rectification_open"]
            ),
        }
        known = [v for v in row.rates.values() if v is not None]
        row.score = (
            (sum(known) / len(known)).quantize(Decimal("0.1"), ROUND_HALF_UP) if known else None
        )
        if row.report is not None:
            township_rows = [r for r in row.report.rows.all() if not r.is_total]
            row.report.township_rows = len(township_rows)
            row.report.submitted_rows = sum(r.status == RowStatus.SUBMITTED for r in township_rows)
        rows.append(row)
    for name in RATE_NAMES:
        ranks = _competition({r.area.code: r.rates[name] for r in rows})
        for r in rows:
            r.ranks[name] = ranks[r.area.code]
    overall = _competition({r.area.code: r.score for r in rows})
    for r in rows:
        r.rank = overall[r.area.code]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.area.code))
    total = _empty()
    for r in rows:
        _add(total, r.figures)
    total["completion_rate"] = completion_rate(total["completed"], total["planned"])
    return {"area": area, "month": month, "rows": rows, "total": total, "labels": RATE_LABELS}


def rollup_area(user: User) -> Area | None:
    """The area a city or province user's roll-up covers (None for other users)."""
    area = getattr(user, "area", None)
    return area if area is not None and area.is_higher else None
