"""The home page of each role: key figures, charts, the queue of pending work, open alerts.

Every read goes through the apps' scoped selectors, so a user sees only their own area. Each
block is a fixed number of grouped queries, whatever the size of the area (a test pins it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import HIGHER_REVIEWER_ROLES, PREFIX_LENGTH, Area, AreaLevel, Role
from households import tally
from households.models import CATEGORY_SHORT, Category
from inspections import selectors as inspection_selectors
from inspections.models import LEDGER_LEVELS, HazardStatus, SafetyLevel
from rectification.models import FindingStatus, ItemStatus
from rectification.selectors import finding_list, item_list
from renovation.archive import completeness_by_township
from renovation.models import FUNDED, ProjectStatus, RenovationProject, project_area_key
from renovation.models import ProjectStatus as P
from renovation.selectors import ready_for_approval
from reports.models import Alert
from reports.selectors import completion_rate
from reports.targets import CHILD_LEVEL, target_progress
from subsidies.models import BatchStatus, LineStatus, PayoutLine
from subsidies.selectors import batch_list

ZERO = Decimal("0.00")


# The roles that work on a county's records and so have a queue of steps to take.
WORK_ROLES = frozenset(
    {Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.TOWNSHIP_STAFF, Role.VILLAGE_CLERK}
)


@dataclass(frozen=True)
class Figure:
    key: str  # the element id on the page
    label: str
    value: int | Decimal
    url: str = ""
    unit: str = "户"
    tone: str = ""  # "danger" / "warn" highlight a figure that needs action


@dataclass(frozen=True)
class QueueEntry:
    label: str
    count: int
    url: str


def _url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def _by_status(queryset, field: str = "status") -> dict[str, int]:
    """One grouped COUNT: value of `field` → number of rows."""
    # (order_by(): a model's default order would otherwise keep its joins in the GROUP BY)
    return dict(queryset.order_by().values(field).annotate(n=Count("id")).values_list(field, "n"))


@dataclass
class _Counts:
    """The grouped counts the figures, the queue and the charts share (one query each)."""

    projects: dict[str, int]  # status → projects (all years)
    plan: dict[str, int]  # this year's funded projects: planned, completed
    households: dict[str, int]  # category → households
    items: dict[str, int]  # rectification item status → items


def _counts(user, year: int) -> _Counts:
    projects = RenovationProject.objects.visible_to(user)
    return _Counts(
        projects=_by_status(projects),
        plan=projects.filter(year=year, status__in=FUNDED).aggregate(
            planned=Count("id"), completed=Count("id", filter=Q(completed_on__isnull=False))
        ),
        households=tally.counts_by_category(user),
        items=_by_status(item_list(user)),
    )


def queue(user, counts: _Counts) -> list[QueueEntry]:
    """What waits for this user's role, as counts with a link to the filtered list.

    Only steps the role may take are listed; empty entries are left out.
    """

    role = getattr(user, "role", "")
    if role in HIGHER_REVIEWER_ROLES:
        # What they raised in a spot check comes back to them to close.
        submitted = item_list(user).filter(
            verifier_area_id=user.area_id, status=ItemStatus.SUBMITTED
        )
        entries = [
            QueueEntry(
                "抽查问题待核验销号",
                submitted.count(),
                _url("rectification:item_list", status=ItemStatus.SUBMITTED),
            )
        ]
        return [e for e in entries if e.count]
    if role not in Role.values or role not in WORK_ROLES:
        return []

    def project_step(status: str, label: str) -> QueueEntry:
        return QueueEntry(
            label, counts.projects.get(status, 0), _url("renovation:list", status=status)
        )

    def item_step(status: str, label: str) -> QueueEntry:
        return QueueEntry(
            label, counts.items.get(status, 0), _url("rectification:item_list", status=status)
        )

    hazards = _by_status(inspection_selectors.hazard_list(user))
    hazard_url = reverse("inspections:hazard_queue")
    entries: list[QueueEntry] = []
    if role == Role.VILLAGE_CLERK:
        entries += [
            QueueEntry("本村上报隐患待乡镇核实", hazards.get(HazardStatus.REPORTED, 0), hazard_url),
            project_step(P.APPLIED, "改造申请待村级评议"),
        ]
    elif role == Role.TOWNSHIP_STAFF:
        entries += [
            QueueEntry("村报隐患待核实", hazards.get(HazardStatus.REPORTED, 0), hazard_url),
            project_step(P.APPLIED, "改造申请待村级评议"),
            project_step(P.VILLAGE_REVIEWED, "待乡镇初审"),
            project_step(P.APPROVED, "已批准待函告农户"),
            project_step(P.NOTIFIED, "已函告待开工"),
            project_step(P.UNDER_CONSTRUCTION, "施工中（质量检查、竣工）"),
            project_step(P.COMPLETED, "已竣工待验收"),
            item_step(ItemStatus.OPEN, "整改问题待整改"),
            item_step(ItemStatus.IN_PROGRESS, "整改问题整改中"),
        ]
    elif role == Role.COUNTY_REVIEWER:
        entries += [
            QueueEntry("乡镇核实隐患待鉴定", hazards.get(HazardStatus.VERIFIED, 0), hazard_url),
            QueueEntry(
                "部门名单待鉴定",
                inspection_selectors.pending_appraisals(user).count(),
                reverse("inspections:pending"),
            ),
            project_step(P.TOWNSHIP_REVIEWED, "待联合审核"),
            project_step(P.JOINT_REVIEWED, "联合审核通过待公示"),
            project_step(P.ACCEPTED, "已验收待销号"),
            item_step(ItemStatus.SUBMITTED, "整改问题待核验销号"),
            QueueEntry(
                "自查发现待处理",
                finding_list(user).filter(status=FindingStatus.OPEN).count(),
                reverse("rectification:selfcheck"),
            ),
            QueueEntry(
                "拨付批次待提交财政",
                batch_list(user).filter(status=BatchStatus.DRAFTED).count(),
                reverse("subsidies:batch_list"),
            ),
        ]
    elif role == Role.COUNTY_APPROVER:
        entries += [
            QueueEntry(
                "公示期满待审批",
                ready_for_approval(RenovationProject.objects.visible_to(user)).count(),
                _url("renovation:list", status=P.PUBLICITY, ready="yes"),
            ),
            QueueEntry(
                "已提交财政待确认拨付",
                batch_list(user).filter(status=BatchStatus.SUBMITTED).count(),
                reverse("subsidies:batch_list"),
            ),
        ]
    return [e for e in entries if e.count]


def key_figures(user, year: int, counts: _Counts) -> list[Figure]:
    # The ledger's emergencies: a D house lived in at its newest inspection.
    ledger = {
        "total": tally.count_at_levels(user, LEDGER_LEVELS),
        "emergency": tally.count_at_levels(user, [SafetyLevel.D], occupied=True),
    }
    paid = (
        PayoutLine.objects.visible_to(user)
        .filter(status=LineStatus.PAID, project__year=year)
        .aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    overdue_appraisals = inspection_selectors.pending_appraisals(user).filter(overdue=True).count()
    open_items = sum(n for status, n in counts.items.items() if status != ItemStatus.CLOSED)
    plan = counts.plan
    return [
        Figure(
            "households",
            "重点对象",
            sum(counts.households.values()),
            reverse("households:list"),
        ),
        Figure("ledger-total", "危房台账在册", ledger["total"], reverse("inspections:ledger")),
        Figure(
            "emergency-total",
            "D级危房仍住人",
            ledger["emergency"],
            _url("inspections:ledger", emergency="true"),
            tone="danger" if ledger["emergency"] else "",
        ),
        Figure(
            "overdue-total",
            "部门名单超5个工作日未鉴定",
            overdue_appraisals,
            reverse("inspections:pending"),
            tone="warn" if overdue_appraisals else "",
        ),
        Figure("planned", f"{year}年计划改造", plan["planned"], _url("renovation:list", year=year)),
        Figure(
            "completed", f"{year}年已竣工", plan["completed"], _url("renovation:list", year=year)
        ),
        Figure(
            "paid-amount",
            f"{year}年已拨付",
            paid,
            reverse("subsidies:overview"),
            unit="元",
        ),
        Figure(
            "rectification-open",
            "整改问题未销号",
            open_items,
            reverse("rectification:item_list"),
            unit="项",
            tone="warn" if open_items else "",
        ),
    ]


def _progress_by_area(user, year: int) -> dict | None:
    """This year's plan and completions by the areas one level below the user's (the counties
    of a city, the townships of a county, the villages of a township)."""

    area = getattr(user, "area", None)
    if area is None or area.level == AreaLevel.VILLAGE:
        return None
    child = CHILD_LEVEL.get(area.level, AreaLevel.VILLAGE)
    length = PREFIX_LENGTH[child]
    rows = (
        RenovationProject.objects.visible_to(user)
        .filter(year=year, status__in=FUNDED)
        .order_by()
        .annotate(key=project_area_key(length))
        .values("key")
        .annotate(planned=Count("id"), completed=Count("id", filter=Q(completed_on__isnull=False)))
        .order_by("key")
    )
    codes = {r["key"].ljust(12, "0"): r for r in rows if r["key"]}
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    return {
        "title": f"{year}年各{AreaLevel(child).label}改造进度",
        "rows": [
            {
                "label": names.get(code, code),
                "planned": r["planned"],
                "completed": r["completed"],
                "rate": float(completion_rate(r["completed"], r["planned"])),
            }
            for code, r in sorted(codes.items())
        ],
    }


def charts(user, year: int, counts: _Counts) -> dict:
    """Data for the charts drawn by the vendored Chart.js (passed with `json_script`)."""

    by_category, projects_by_status = counts.households, counts.projects
    categories = [
        (CATEGORY_SHORT.get(value, label), by_category[value])
        for value, label in Category.choices
        if by_category.get(value)
    ]
    statuses = [
        (label, projects_by_status[value])
        for value, label in ProjectStatus.choices
        if projects_by_status.get(value)
    ]
    return {
        "categories": {"labels": [c[0] for c in categories], "counts": [c[1] for c in categories]},
        "pipeline": {"labels": [s[0] for s in statuses], "counts": [s[1] for s in statuses]},
        "progress": _progress_by_area(user, year),
    }


def dashboard(user, today: dt.date | None = None) -> dict:
    """Everything the home page shows for `user`."""

    year = (today or timezone.localdate()).year
    counts = _counts(user, year)
    alerts = Alert.objects.responsible(user).open().select_related("area")
    return {
        "year": year,
        "figures": key_figures(user, year, counts),
        "queue": queue(user, counts),
        "charts": charts(user, year, counts),
        "my_alerts": list(alerts[:10]),
        "alert_total": alerts.count(),
        "archive_completeness": _archive_completeness(user),
        "targets": target_progress(user, year) if getattr(user, "area", None) else None,
    }


def _archive_completeness(user) -> list[dict]:
    area = getattr(user, "area", None)
    if area is None or area.level == AreaLevel.VILLAGE or area.is_higher:
        return []  # above the county: the spot checks look at archives (rectification)
    return completeness_by_township(user)
