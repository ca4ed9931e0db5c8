"""Spot checks (抽查) by a city or a province: a recorded random draw, findings into the ledger.

Documents 002 and 004: the city (and the province) check the counties' archives and data on
the spot ("市级住房城乡建设部门要定期组织开展档案资料日常抽查检查"; "将对各县整改情况进行抽查
核实"). A reviewer of the city draws a sample of households, reviews each archive and records
what is wrong; each finding is an item of that county's rectification ledger (source 市级抽查 /
省级抽查) which the county works on and which only the level that raised it closes.

The draw is reproducible: the households matching the filters, ordered by id, and the seed go
into `random.Random(seed).sample`; the number of those households and a SHA-256 of their ids
are recorded, so anyone can repeat the draw and see that it was not picked by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import HIGHER_REVIEWER_ROLES, Area, AreaLevel, User
from core.audit import attributed
from core.errors import DomainError, RoleRefused
from core.locking import lock_for_update
from core.rules import require_role
from households.models import Category, Household
from rectification.models import (
    DeadlineKind,
    EntryResult,
    ProblemType,
    RectificationItem,
    SpotCheck,
    SpotCheckEntry,
)
from renovation.models import ProjectStatus, RenovationProject

SPOT_ROLES = HIGHER_REVIEWER_ROLES
MAX_SAMPLE = 500
NOT_IN_AREA = "该抽查不在您的管辖区划内。"


def population(by: User, *, county: Area | None, project_status: str = "", category: str = ""):
    """The ids of the households a draw picks from, in the order the draw uses (by id)."""

    households = Household.objects.visible_to(by).filter(exited_on__isnull=True)
    if county is not None:
        households = households.filter(county_code=county.code[:6])
    if category:
        households = households.filter(category=category)
    if project_status:
        projects = RenovationProject.objects.unscoped("a subquery of the scoped households")
        households = households.filter(
            Exists(projects.filter(household=OuterRef("pk"), status=project_status))
        )
    return households.order_by("id").values_list("id", flat=True)


def digest(ids: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def draw(ids: list[int], size: int, seed: int) -> list[int]:
    """The drawn ids, in the order drawn: the same ids and seed always give the same sample."""
    return random.Random(seed).sample(ids, min(size, len(ids)))  # noqa: S311 - a sample, not a secret


def _validated(by: User, county, project_status: str, category: str) -> None:
    if county is not None and (
        county.level != AreaLevel.COUNTY or not county.code.startswith(by.area.prefix)
    ):
        raise DomainError("只能抽查本辖区内的县。")
    if project_status and project_status not in ProjectStatus.values:
        raise DomainError("请选择有效的改造项目状态。")
    if category and category not in Category.values:
        raise DomainError("请选择有效的对象类别。")


@attributed
def spot_check_draw(
    *,
    by: User,
    title: str,
    year: int,
    sample_size: int,
    county: Area | None = None,
    project_status: str = "",
    category: str = "",
    seed: int | None = None,
) -> SpotCheck:
    """Draw the sample and record the draw."""
    require_role(by, SPOT_ROLES, "开展抽查（仅限市、省住建部门审核员）")
    title = (title or "").strip()
    if not title:
        raise DomainError("请填写抽查名称。")
    try:
        sample_size, year = int(sample_size), int(year)
    except (TypeError, ValueError):
        raise DomainError("抽取户数和年度应为整数。") from None
    if not 1 <= sample_size <= MAX_SAMPLE:
        raise DomainError(f"抽取户数应在1到{MAX_SAMPLE}户之间。")
    if not 2000 <= year <= 2100:
        raise DomainError("请填写有效的年度。")
    _validated(by, county, project_status, category)
    if seed in (None, ""):
        seed = secrets.randbelow(2**31)
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise DomainError("随机种子应为整数。") from None
    if not 0 <= seed < 2**63:
        raise DomainError("随机种子应为非负整数。")
    with transaction.atomic():
        ids = list(population(by, county=county, project_status=project_status, category=category))
        if not ids:
            raise DomainError("没有符合条件的农户，无法抽查。请放宽筛选条件。")
        chosen = draw(ids, sample_size, seed)
        spot = SpotCheck.objects.create(
            area=by.area,
            title=title,
            year=year,
            county=county,
            project_status=project_status,
            category=category,
            sample_size=sample_size,
            seed=seed,
            population=len(ids),
            population_digest=digest(ids),
            drawn_by=by,
        )
        SpotCheckEntry.objects.bulk_create(
            SpotCheckEntry(spot_check=spot, household_id=pk, position=n)
            for n, pk in enumerate(chosen, start=1)
        )
    return spot


def _require_owner(spot: SpotCheck, by: User) -> None:
    require_role(by, SPOT_ROLES, "记录抽查结果（仅限市、省住建部门审核员）")
    if by.area_id != spot.area_id:
        raise RoleRefused(f"该抽查由{spot.area.name}开展，只能由其审核员记录结果。")


@attributed
def spot_check_record(
    *,
    entry: SpotCheckEntry,
    by: User,
    result: str,
    note: str = "",
    problem_type: str = "",
    title: str = "",
    findings: str = "",
    measures: str = "",
    deadline: dt.date | None = None,
) -> SpotCheckEntry:
    """Record the review of one drawn household; a problem becomes an item of the county's
    ledger (one per call: a household with two problems is recorded twice)."""
    if result not in EntryResult.values:
        raise DomainError("请选择核查结果。")
    with transaction.atomic():
        locked = lock_for_update(
            SpotCheckEntry.objects.visible_to(by),
            entry.pk,
            related=("spot_check", "spot_check__area", "household", "household__village"),
            missing=NOT_IN_AREA,
        )
        spot = locked.spot_check
        _require_owner(spot, by)
        if spot.finished_at is not None:
            raise DomainError("该抽查已完成，不能再修改结果。")
        raised = RectificationItem.objects.unscoped("the items of a held entry").filter(
            spot_check=spot, households=locked.household
        )
        if result == EntryResult.OK and raised.exists():
            raise DomainError("该户已登记抽查问题，不能改为“未发现问题”。")
        if result == EntryResult.PROBLEM:
            _raise_item(spot, locked, by, problem_type, title, findings, measures, deadline)
        locked.result = result
        locked.note = (note or "").strip()
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.save()
    return locked


def _raise_item(spot, entry, by: User, problem_type, title, findings, measures, deadline):
    if problem_type not in ProblemType.values:
        raise DomainError("请选择问题类型（政策落实方面或工作落实方面）。")
    title, findings = (title or "").strip(), (findings or "").strip()
    if not title or not findings:
        raise DomainError("发现问题时请填写具体问题和问题简述。")
    if deadline is None:
        raise DomainError("请填写整改期限。")
    if deadline < timezone.localdate():
        raise DomainError("整改期限不能早于今天。")
    household = entry.household
    county = Area.objects.get(pk=household.county_code + "000000")
    item = RectificationItem.objects.create(
        source=spot.source,
        problem_type=problem_type,
        title=title[:300],
        findings=findings,
        measures=(measures or "").strip(),
        area=household.village,
        deadline_kind=DeadlineKind.DATE,
        deadline=deadline,
        responsible_unit=f"{county.name}住房和城乡建设局",
        remarks=f"{spot.area.name}{spot.title}（抽查第{entry.position}户）",
        spot_check=spot,
        verifier_area=spot.area,
        created_by=by,
    )
    item.households.set([household])
    return item


@attributed
def spot_check_finish(*, spot_check: SpotCheck, by: User) -> SpotCheck:
    """Every drawn household reviewed: the spot check is done and its results freeze."""
    with transaction.atomic():
        locked = lock_for_update(
            SpotCheck.objects.visible_to(by), spot_check.pk, related=("area",), missing=NOT_IN_AREA
        )
        _require_owner(locked, by)
        if locked.finished_at is not None:
            raise DomainError("该抽查已完成。")
        left = locked.entries.filter(reviewed_at__isnull=True).count()
        if left:
            raise DomainError(f"还有 {left} 户未记录核查结果，不能完成抽查。")
        locked.finished_at = timezone.now()
        locked.save(update_fields=["finished_at"])
    return locked


def spot_check_list(user: User):
    return SpotCheck.objects.visible_to(user).select_related("area", "county", "drawn_by")


def entries_of(spot: SpotCheck):
    return list(
        spot.entries.select_related(
            "household", "household__village", "household__village__parent", "reviewed_by"
        ).order_by("position")
    )


def items_of(spot: SpotCheck):
    return list(
        RectificationItem.objects.unscoped("the items of a spot check the user holds")
        .filter(spot_check=spot)
        .select_related("area")
        .prefetch_related("households")
        .order_by("id")
    )
