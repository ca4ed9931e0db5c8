"""Annual targets (年度任务): assigned from above, split by the county, adjusted with history.

Document 002: "计划、任务、资金、目标、责任五到县"; document 000: "省市下达工作计划". Each level
assigns the level directly below it: the province its cities, a city its counties, a county
splits its own target among its townships. A county without a city above it (an installation
for one county) sets its own target. The targets of an area's children never add up to more
than its own, and an area's target never drops below what it has split already.

Progress against target counts the year's approved projects (not withdrawn), the planned ones
and the dynamic tasks added during the year (`RenovationProject.dynamic`) apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum

from accounts.models import PREFIX_LENGTH, Area, AreaLevel, Role, User, parent_code
from core.audit import attributed
from core.errors import DomainError, RoleRefused
from core.rules import require_role
from renovation.models import FUNDED, RenovationProject, project_area_key
from reports.models import AnnualTarget, TargetRevision
from reports.selectors import completion_rate
from subsidies.models import LineStatus, PayoutLine

#: The level of an area → the role that assigns its target (a reviewer of the parent area).
ASSIGNER_ROLE = {
    AreaLevel.CITY: Role.PROVINCE_REVIEWER,
    AreaLevel.COUNTY: Role.CITY_REVIEWER,
    AreaLevel.TOWNSHIP: Role.COUNTY_REVIEWER,
}
TARGET_ROLES = frozenset(ASSIGNER_ROLE.values())
#: The level whose targets an area's users assign or split.
CHILD_LEVEL = {
    AreaLevel.PROVINCE: AreaLevel.CITY,
    AreaLevel.CITY: AreaLevel.COUNTY,
    AreaLevel.COUNTY: AreaLevel.TOWNSHIP,
}
_SPLIT_LOCK = 0x616E6A75_17  # one split of one parent's target at a time


def may_assign(user: User, area: Area) -> bool:
    """Whether `user` sets `area`'s target: a reviewer of the area directly above it (or the
    county itself when nothing is above it)."""
    if area.level not in ASSIGNER_ROLE or user.area_id is None:
        return False
    if area.level == AreaLevel.COUNTY and area.parent_id is None:
        return user.role == Role.COUNTY_REVIEWER and user.area_id == area.code
    return user.role == ASSIGNER_ROLE[area.level] and user.area_id == parent_code(area.code)


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError("补助资金应为金额（元）。") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise DomainError("补助资金应为不小于0的金额（元）。")
    return amount


@attributed
def target_set(
    *,
    by: User,
    area: Area,
    year: int,
    renovations: int,
    funds=None,
    reason: str = "",
) -> AnnualTarget:
    """Assign (version 1) or adjust (a new version, with its reason) `area`'s target for `year`."""
    require_role(by, TARGET_ROLES, "下达年度任务（仅限上级住建部门审核员）")
    if area.level not in ASSIGNER_ROLE:
        raise DomainError("年度任务下达到市、县或乡镇。")
    if not may_assign(by, area):
        raise RoleRefused(f"{area.name}的年度任务由其上一级住建部门下达，您无权修改。")
    try:
        year, renovations = int(year), int(renovations)
    except (TypeError, ValueError):
        raise DomainError("年度和改造任务户数应为整数。") from None
    if not 2000 <= year <= 2100:
        raise DomainError("请填写有效的年度。")
    if not 0 <= renovations <= 10_000_000:
        raise DomainError("改造任务户数应为不小于0的整数。")
    funds = _amount(funds)
    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        with connection.cursor() as cursor:  # siblings are checked against one another
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(_SPLIT_LOCK << 16) + year])
        current = AnnualTarget.objects.visible_to(by).filter(area=area, year=year).first()
        if current is not None and not reason:
            raise DomainError("调整已下达的年度任务时请写明调整理由。")
        _check_split(area, year, renovations, funds)
        if current is None:
            current = AnnualTarget.objects.create(
                area=area, year=year, renovations=renovations, funds=funds, assigned_by=by
            )
        else:
            if current.renovations == renovations and current.funds == funds:
                raise DomainError("任务数和资金均未改变。")
            current.renovations, current.funds = renovations, funds
            current.version += 1
            current.assigned_by = by
            current.save()
        TargetRevision.objects.create(
            target=current,
            version=current.version,
            renovations=renovations,
            funds=funds,
            reason=reason,
            by=by,
        )
    return current


def _check_split(area: Area, year: int, renovations: int, funds: Decimal | None) -> None:
    reason = "a target's parent and children are checked by the service that sets it"
    targets = AnnualTarget.objects.unscoped(reason).filter(year=year)
    below = targets.filter(area__parent=area).aggregate(n=Sum("renovations"), f=Sum("funds"))
    if below["n"] is not None and renovations < below["n"]:
        raise DomainError(f"{area.name}已分解到下级的任务合计 {below['n']} 户，任务不能少于此数。")
    if funds is not None and below["f"] is not None and funds < below["f"]:
        raise DomainError(f"{area.name}已分解到下级的资金合计 {below['f']} 元，不能少于此数。")
    parent = area.parent
    if parent is None:
        return
    above = targets.filter(area=parent).first()
    if above is None:
        return
    siblings = (
        targets.filter(area__parent=parent)
        .exclude(area=area)
        .aggregate(n=Sum("renovations"), f=Sum("funds"))
    )
    if (siblings["n"] or 0) + renovations > above.renovations:
        raise DomainError(
            f"分解后的任务合计 {(siblings['n'] or 0) + renovations} 户，"
            f"超过{parent.name}的年度任务 {above.renovations} 户。"
        )
    split_funds = (siblings["f"] or 0) + (funds or 0)
    if funds is not None and above.funds is not None and split_funds > above.funds:
        raise DomainError(
            f"分解后的资金合计 {split_funds} 元，超过{parent.name}的资金 {above.funds} 元。"
        )


# --- progress -----------------------------------------------------------------------------


@dataclass
class Counts:
    projects: int = 0
    started: int = 0
    completed: int = 0
    accepted: int = 0
    paid: int = 0

    def add(self, other: Counts) -> None:
        for name in ("projects", "started", "completed", "accepted", "paid"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ProgressRow:
    code: str
    name: str
    target: int | None = None
    funds: Decimal | None = None
    version: int | None = None
    planned: Counts = field(default_factory=Counts)
    dynamic: Counts = field(default_factory=Counts)

    @property
    def rate(self) -> Decimal:
        """Completed planned tasks against the target (against the planned projects when no
        target was assigned)."""
        return completion_rate(self.planned.completed, self.target or self.planned.projects)


def _children_prefix_length(area: Area) -> int | None:
    child = CHILD_LEVEL.get(area.level)
    return PREFIX_LENGTH[child] if child else None


def target_progress(user: User, year: int, area: Area | None = None) -> dict:
    """The target and the progress of `area` (default: the user's) and of each area below it:
    one grouped query over the projects, one over the targets."""

    area = area or user.area
    if area is None:
        return {"total": None, "rows": []}
    length = _children_prefix_length(area)
    paid = PayoutLine.objects.unscoped("a subquery of the scoped projects").filter(
        project=OuterRef("pk"), status=LineStatus.PAID
    )
    projects = (
        RenovationProject.objects.visible_to(user)
        .in_area(area)
        .filter(year=year, status__in=FUNDED)
        .annotate(key=project_area_key(length or 12), is_paid=Exists(paid))
        .values("key", "dynamic")
        .annotate(
            projects=Count("id"),
            started=Count("id", filter=Q(started_on__isnull=False)),
            completed=Count("id", filter=Q(completed_on__isnull=False)),
            accepted=Count("id", filter=Q(accepted_on__isnull=False)),
            paid=Count("id", filter=Q(is_paid=True)),
        )
        .order_by()
    )
    rows: dict[str, ProgressRow] = {}
    total = ProgressRow(area.code, area.name)
    child_level = CHILD_LEVEL.get(area.level)
    if child_level:
        for child in Area.objects.filter(parent=area).order_by("code"):
            rows[child.prefix] = ProgressRow(child.code, child.name)
    for r in projects:
        counts = Counts(r["projects"], r["started"], r["completed"], r["accepted"], r["paid"])
        (total.dynamic if r["dynamic"] else total.planned).add(counts)
        if length:
            row = rows.setdefault(r["key"], ProgressRow(r["key"].ljust(12, "0"), r["key"]))
            (row.dynamic if r["dynamic"] else row.planned).add(
                Counts(r["projects"], r["started"], r["completed"], r["accepted"], r["paid"])
            )
    by_code = {row.code: row for row in rows.values()} | {area.code: total}
    for t in AnnualTarget.objects.visible_to(user).filter(year=year, area_id__in=list(by_code)):
        row = by_code[t.area_id]
        row.target, row.funds, row.version = t.renovations, t.funds, t.version
    assigned = sum(r.target or 0 for r in rows.values())
    return {
        "area": area,
        "year": year,
        "total": total,
        "rows": list(rows.values()),
        "split": assigned,
        "unsplit": (total.target - assigned) if total.target is not None else None,
        "child_label": AreaLevel(child_level).label if child_level else "",
    }


def target_rows(user: User, year: int) -> list[AnnualTarget]:
    return list(
        AnnualTarget.objects.visible_to(user)
        .filter(year=year)
        .select_related("area", "assigned_by")
        .order_by("area_id")
    )


def revisions_of(target: AnnualTarget) -> list[TargetRevision]:
    return list(target.revisions.select_related("by").order_by("version"))


def split_sums(year: int, codes: list[str]) -> dict[str, int]:
    """Per area code: the sum of its children's targets (for the check shown on the page)."""
    reason = "sums of targets of areas the caller already shows"
    sums: dict[str, int] = defaultdict(int)
    for parent, n in (
        AnnualTarget.objects.unscoped(reason)
        .filter(year=year, area__parent_id__in=codes)
        .values_list("area__parent_id")
        .annotate(n=Sum("renovations"))
    ):
        sums[parent] = n
    return dict(sums)
