"""Application, village, township and joint review, three-level publicity and objections,
approval (one and in batch) and the amount override: DOMAIN.md "Renovation" steps 1–6."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.scoping import HELD_PARENT
from core.audit import attributed
from core.errors import DomainError, RoleRefused
from core.locking import save_versioned
from core.rules import has_role, require_role
from core.uploads import (
    DOCUMENT_TYPES,
    files_removed_on_error,
    store_upload,
    validate_upload,
)
from households.models import Household
from inspections.models import StateLevel
from inspections.selectors import current_state
from renovation import steps
from renovation.models import (
    ACTIVE,
    BUILT_METHODS,
    ENDED,
    AmountOverride,
    AreaException,
    BuilderKind,
    BuildMode,
    DangerLevel,
    JointDepartment,
    JointReviewOpinion,
    Objection,
    OverrideStatus,
    Publicity,
    PublicityLevel,
    RenovationMethod,
    RenovationProject,
    ReviewResult,
    VillageReview,
)
from renovation.services._common import (
    MIN_REPRESENTATIVES,
    BatchRefused,
    S,
    _date,
    _lock,
    _move,
    _not_before,
    _text,
    _today,
    _validate_file,
    county_of,
)
from renovation.steps import APPLY_ROLES, APPROVE_ROLES, CONSTRUCTION_ROLES, OBJECTION_ROLES

# --- 1. application --------------------------------------------------------------------


def application_refusal(
    household: Household, by: User, *, method: str | None = None, year: int | None = None
) -> DomainError | None:
    """Why `by` may not apply for `household` now (None: the application is open to them).

    The one statement of who may apply and for which house: `project_apply` raises it under
    the household's lock, and the household and appraisal pages offer "申请改造" only when it
    is None; `method` and `year` narrow it to one application when they are known.
    """
    if not has_role(by, APPLY_ROLES):
        return RoleRefused("您的角色无权录入改造申请（仅限村委会、乡镇）。")
    state = current_state(household)
    if state is not None and state.level == StateLevel.SAFE:
        return DomainError(
            f"该农户房屋已于{state.on:%Y-%m-%d}改造验收销号（安全）；"
            "再次成为危房须有新的鉴定（如灾后损毁），之后才能申请改造。"
        )
    appraisal = state.appraisal if state is not None else None
    if appraisal is None or appraisal.level not in DangerLevel.values:
        return DomainError("只有当前鉴定为C级、D级危房或无房的农户可以申请改造，请先完成鉴定。")
    if method == RenovationMethod.REPAIR and appraisal.level != DangerLevel.C:
        return DomainError("修缮加固只适用于C级危房；D级危房或无房户应翻建、新建或置换。")
    mine = RenovationProject.objects.unscoped("of the household").filter(household=household)
    if mine.filter(status__in=ACTIVE).exists():
        return DomainError("该农户已有进行中的改造项目，不能重复申请。")
    if year is not None and mine.filter(status=S.CLOSED, year=year).exists():
        return DomainError(f"该农户{year}年度的改造项目已销号，不能重复申请。")
    try:
        _readmission_for(household, mine.filter(status=S.CLOSED))
    except DomainError as exc:
        return exc
    return None


@attributed
def project_apply(
    *,
    household: Household,
    by: User,
    year: int,
    applied_on: dt.date,
    method: str,
    method_note: str = "",
    on_behalf: bool = False,
    note: str = "",
    application_file=None,
    planned_area: Decimal | None = None,
    dynamic: bool = False,
    today: dt.date | None = None,
) -> RenovationProject:
    """改造申请. A rebuilt or new house states its planned area; one outside the area
    standard is accepted with a warning (`area_warning`) and blocks the approval until an
    exception with a reason is recorded."""
    require_role(by, APPLY_ROLES, "录入改造申请（仅限村委会、乡镇）")
    if planned_area not in (None, ""):
        planned_area = Decimal(str(planned_area)).quantize(Decimal("0.01"))
        if not planned_area.is_finite() or not 0 < planned_area < 1000:
            raise DomainError("计划建筑面积应大于0且小于1000㎡。")
    else:
        planned_area = None
    _date(applied_on, "申请日期", today)
    if method not in RenovationMethod.values:
        raise DomainError("请选择改造方式。")
    if not 2000 <= int(year) <= _today(today).year + 1:
        raise DomainError("请填写有效的年度。")
    info = _validate_file(application_file, allowed=DOCUMENT_TYPES, label="申请书", required=False)
    with transaction.atomic(), files_removed_on_error() as stored:
        locked = (
            Household.objects.visible_to(by)
            .select_for_update(of=("self",))
            .filter(pk=household.pk)
            .first()
        )
        if locked is None:
            raise DomainError("该农户不在您的管辖区划内。")
        if (refused := application_refusal(locked, by, method=method, year=year)) is not None:
            raise refused
        appraisal = current_state(locked).appraisal
        mine = RenovationProject.objects.unscoped("of the locked household").filter(
            household=locked
        )
        readmission = _readmission_for(locked, mine.filter(status=S.CLOSED))
        project = RenovationProject(
            household=locked,
            year=year,
            danger_level=appraisal.level,
            appraisal=appraisal,
            method=method,
            method_note=(method_note or "").strip(),
            on_behalf=on_behalf,
            dynamic=bool(dynamic),
            application_note=(note or "").strip(),
            applied_on=applied_on,
            applied_by=by,
            planned_area=planned_area,
        )
        if method in BUILT_METHODS and planned_area is None:
            raise DomainError("翻建、新建的项目请填写计划建筑面积。")
        if info:
            project.application_content_type = info.content_type
            store_upload(project, "application_file", application_file, info, stored)
        project.save()
        if readmission is not None:
            readmission.project = project
            readmission.save(update_fields=["project"])
    return project


def _readmission_for(household: Household, closed):
    """A household renovated before applies again only with a re-admission (the township's
    disaster proof) recorded after that close-out; it is then tied to the new project."""
    from subsidies.models import DisasterReadmission, HistoricRenovation

    # The newest earlier renovation: a closed project, or a record from before the system.
    earlier = closed.order_by("-closed_on").first()
    historic = (
        HistoricRenovation.objects.unscoped("of the locked household")
        .filter(household=household)
        .order_by("-year")
        .first()
    )
    candidates = []
    if earlier is not None:
        candidates.append(
            (
                earlier.closed_on,
                f"已于{earlier.closed_on:%Y-%m-%d}完成{earlier.year}年度危房改造并销号",
            )
        )
    if historic is not None:
        done = historic.completed_on or dt.date(historic.year, 12, 31)
        candidates.append(
            (done, f"已于{historic.year}年享受危房改造补助（{historic.method}，历年记录）")
        )
    if not candidates:
        return None
    since, what = max(candidates)
    readmission = (
        DisasterReadmission.objects.unscoped("of the locked household")
        .filter(household=household, project__isnull=True, recorded_on__gte=since)
        .first()
    )
    if readmission is None:
        raise DomainError(
            f"该农户{what}；再次改造须先登记因灾再次纳入（上传乡镇出具的灾害损毁证明）。"
        )
    return readmission


@attributed
def project_update_plan(
    *,
    project: RenovationProject,
    by: User,
    version: int | None = None,
    method: str | None = None,
    method_note: str | None = None,
    build_mode: str | None = None,
    builder_kind: str | None = None,
    builder_name: str | None = None,
) -> RenovationProject:
    """Method and builder may change until construction starts; nothing else is editable."""
    require_role(by, CONSTRUCTION_ROLES | APPLY_ROLES, "修改改造方案")
    with transaction.atomic():
        project = _lock(project, by, version)
        if project.status in ENDED or project.status in (
            S.UNDER_CONSTRUCTION,
            S.COMPLETED,
            S.ACCEPTED,
            S.CLOSED,
        ):
            raise DomainError("项目已开工或已终止，不能再修改改造方案。")
        fields = {}
        if method is not None:
            if method not in RenovationMethod.values:
                raise DomainError("请选择有效的改造方式。")
            if method == RenovationMethod.REPAIR and project.danger_level != DangerLevel.C:
                raise DomainError("修缮加固只适用于C级危房。")
            fields["method"] = method
        for name, value, choices in (
            ("build_mode", build_mode, BuildMode.values),
            ("builder_kind", builder_kind, BuilderKind.values),
        ):
            if value is not None:
                if value and value not in choices:
                    raise DomainError("请选择有效的选项。")
                fields[name] = value
        if method_note is not None:
            fields["method_note"] = method_note.strip()
        if builder_name is not None:
            fields["builder_name"] = builder_name.strip()
        return save_versioned(project, **fields) if fields else project


# --- 2. village review -----------------------------------------------------------------


def _names(values: Sequence[str] | str) -> list[str]:
    if isinstance(values, str):
        for sep in "，、,;；\n":
            values = values.replace(sep, " ")
        values = values.split()
    return [v.strip() for v in values if v and v.strip()]


@attributed
def village_review_record(
    *,
    project: RenovationProject,
    by: User,
    held_on: dt.date,
    cadres: Sequence[str] | str,
    representatives: Sequence[str] | str,
    result: str,
    minutes_file,
    note: str = "",
    today: dt.date | None = None,
) -> VillageReview:
    steps.require_role("village_review", by)
    _date(held_on, "评议日期", today)
    cadres, representatives = _names(cadres), _names(representatives)
    if not cadres:
        raise DomainError("请填写参加评议的村干部。")
    if len(representatives) < MIN_REPRESENTATIVES:
        raise DomainError(
            f"村级评议须有至少{MIN_REPRESENTATIVES}名村民代表参加，当前只有{len(representatives)}名。"
        )
    if len(set(representatives)) != len(representatives):
        raise DomainError("村民代表名单中有重复的姓名。")
    if result not in ReviewResult.values:
        raise DomainError("请选择评议结果。")
    if result == ReviewResult.FAILED and not (note or "").strip():
        raise DomainError("评议不通过时请填写评议意见。")
    info = _validate_file(minutes_file, allowed=DOCUMENT_TYPES, label="评议会议记录")
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        steps.require("village_review", project, by)
        _not_before(held_on, project.applied_on, "评议日期", "申请日期")
        review = VillageReview(
            project=project,
            held_on=held_on,
            cadres=cadres,
            representatives=representatives,
            result=result,
            note=(note or "").strip(),
            minutes_content_type=info.content_type,
            recorded_by=by,
        )
        store_upload(review, "minutes_file", minutes_file, info, stored)
        review.save()
        if result == ReviewResult.PASSED:
            _move(project, S.VILLAGE_REVIEWED, village_reviewed_on=held_on)
        else:
            _move(
                project,
                S.REJECTED,
                end_reason=f"村级评议未通过：{review.note}",
                ended_on=held_on,
                ended_by=by,
            )
    return review


# --- 3. township preliminary review ----------------------------------------------------


@attributed
def township_review(
    *,
    project: RenovationProject,
    by: User,
    reviewed_on: dt.date,
    passed: bool,
    opinion: str,
    township_amount: Decimal | None = None,
    township_area: Decimal | None = None,
    today: dt.date | None = None,
) -> RenovationProject:
    """乡镇初审; where the standard leaves the amount to the township (④⑤ D), the township's
    amount is recorded here, at most the standard's cap."""
    steps.require_role("township_review", by)
    _date(reviewed_on, "初审日期", today)
    opinion = _text(opinion, "请填写乡镇初审意见。")
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("township_review", project, by)
        _not_before(reviewed_on, project.village_reviewed_on, "初审日期", "村级评议日期")
        fields = {
            "township_reviewed_on": reviewed_on,
            "township_reviewed_by": by,
            "township_opinion": opinion,
        }
        if passed:
            fields["township_amount"] = _township_amount(project, township_amount)
            fields["township_area"] = _township_area(project, township_area)
        if passed:
            return _move(project, S.TOWNSHIP_REVIEWED, **fields)
        return _move(
            project,
            S.REJECTED,
            end_reason=f"乡镇初审未通过：{opinion}",
            ended_on=reviewed_on,
            ended_by=by,
            **fields,
        )


# --- 4. joint review -------------------------------------------------------------------


@attributed
def joint_review_record(
    *,
    project: RenovationProject,
    by: User,
    reviewed_on: dt.date,
    opinions: dict[str, tuple[bool, str]],
    today: dt.date | None = None,
) -> RenovationProject:
    """Opinions of the five departments; the review passes only if all five agree."""
    steps.require_role("joint_review", by)
    _date(reviewed_on, "联合审核日期", today)
    missing = [d.label for d in JointDepartment if d.value not in opinions]
    if missing:
        raise DomainError(f"联合审核须有五个部门的意见，缺少：{'、'.join(missing)}。")
    unknown = set(opinions) - set(JointDepartment.values)
    if unknown:
        raise DomainError("联合审核意见中有无效的部门。")
    disagreeing = [JointDepartment(d).label for d, (agrees, _) in opinions.items() if not agrees]
    for department, (agrees, note) in opinions.items():
        if not agrees and not (note or "").strip():
            raise DomainError(f"{JointDepartment(department).label}不同意时请填写意见。")
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("joint_review", project, by)
        _not_before(reviewed_on, project.township_reviewed_on, "联合审核日期", "乡镇初审日期")
        for department, (agrees, note) in opinions.items():
            JointReviewOpinion.objects.create(
                project=project,
                department=department,
                agrees=bool(agrees),
                note=(note or "").strip(),
                recorded_by=by,
            )
        fields = {"joint_reviewed_on": reviewed_on, "joint_reviewed_by": by}
        if not disagreeing:
            return _move(project, S.JOINT_REVIEWED, **fields)
        return _move(
            project,
            S.REJECTED,
            end_reason=f"联合审核未通过：{'、'.join(disagreeing)}不同意",
            ended_on=reviewed_on,
            ended_by=by,
            **fields,
        )


# --- 5. three-level publicity ----------------------------------------------------------

PUBLICITY_ORDER = [PublicityLevel.VILLAGE, PublicityLevel.TOWNSHIP, PublicityLevel.COUNTY]


def publicity_days() -> int:
    return int(getattr(settings, "ANJU_PUBLICITY_DAYS", 7))


@attributed
def publicity_start(
    *,
    project: RenovationProject,
    by: User,
    level: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    photo=None,
) -> Publicity:
    """Record one level's notice; the village level comes first, the county last. Each
    lasts at least the configured days (document 003: 7) and starts after the previous
    level's has ended; the approval waits for the county's to end."""
    steps.require_role("publicity", by)
    if level not in PublicityLevel.values:
        raise DomainError("请选择公示级别。")
    if starts_on is None:
        raise DomainError("请填写公示开始日期。")
    days = publicity_days()
    ends_on = ends_on or starts_on + dt.timedelta(days=days - 1)
    if ends_on < starts_on:
        raise DomainError("公示结束日期不能早于开始日期。")
    if (ends_on - starts_on).days + 1 < days:
        raise DomainError(
            f"公示期不少于{days}天：{starts_on:%Y-%m-%d}至{ends_on:%Y-%m-%d}只有"
            f"{(ends_on - starts_on).days + 1}天。"
        )
    info = validate_upload(photo, label="公示照片") if photo else None
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        steps.require("publicity", project, by)
        _not_before(starts_on, project.joint_reviewed_on, "公示开始日期", "联合审核日期")
        existing = {p.level: p for p in project.publicities.all()}
        if level in existing:
            raise DomainError(f"该项目已录入{PublicityLevel(level).label}，不能重复录入。")
        index = PUBLICITY_ORDER.index(level)
        if index:
            previous = existing.get(PUBLICITY_ORDER[index - 1])
            if previous is None:
                first, then = PUBLICITY_ORDER[index - 1].label, PublicityLevel(level).label
                raise DomainError(f"请先录入{first}，再录入{then}。")
            if starts_on <= previous.ends_on:
                raise DomainError(
                    f"{PublicityLevel(level).label}须在{previous.get_level_display()}结束"
                    f"（{previous.ends_on:%Y-%m-%d}）后开始。"
                )
        publicity = Publicity(
            project=project, level=level, starts_on=starts_on, ends_on=ends_on, recorded_by=by
        )
        if info:
            store_upload(publicity, "photo", photo, info, stored)
            publicity.photo_content_type = info.content_type
        publicity.save()
        if project.status == S.JOINT_REVIEWED:
            _move(project, S.PUBLICITY)
        else:
            save_versioned(project)
    return publicity


@attributed
def publicities_start(
    *, projects: Sequence[RenovationProject], by: User, level: str, starts_on: dt.date, ends_on=None
) -> list[Publicity]:
    """One notice for many projects: all or nothing."""
    return _batch(
        projects,
        lambda p: publicity_start(
            project=p, by=by, level=level, starts_on=starts_on, ends_on=ends_on
        ),
        "录入公示",
    )


@attributed
def objection_record(
    *,
    publicity: Publicity,
    by: User,
    raised_on: dt.date,
    content: str,
    raised_by_name: str = "",
    today: dt.date | None = None,
) -> Objection:
    require_role(by, OBJECTION_ROLES, "登记公示异议")
    _date(raised_on, "异议提出日期", today)
    content = _text(content, "请填写异议内容。")
    with transaction.atomic():
        project = _lock(publicity.project, by)
        steps.require_status(project, (S.PUBLICITY,), "登记公示异议")
        objection = Objection.objects.create(
            publicity=publicity,
            raised_on=raised_on,
            raised_by_name=(raised_by_name or "").strip(),
            content=content,
            recorded_by=by,
        )
        save_versioned(project)
    return objection


@attributed
def objection_resolve(
    *,
    objection: Objection,
    by: User,
    resolution: str,
    resolved_on: dt.date,
    today: dt.date | None = None,
) -> Objection:
    require_role(by, OBJECTION_ROLES, "处理公示异议")
    _date(resolved_on, "处理日期", today)
    resolution = _text(resolution, "请填写异议处理结果。")
    with transaction.atomic():
        project = _lock(objection.publicity.project, by)
        objection = (
            Objection.objects.unscoped("of the locked project")
            .select_for_update()
            .get(pk=objection.pk)
        )
        if objection.resolved_on:
            raise DomainError("该异议已处理。")
        steps.require_status(project, (S.PUBLICITY,), "处理公示异议")
        _not_before(resolved_on, objection.raised_on, "处理日期", "异议提出日期")
        objection.resolution = resolution
        objection.resolved_on = resolved_on
        objection.resolved_by = by
        objection.save()
        save_versioned(project)
    return objection


# --- 6. approval -----------------------------------------------------------------------


def _case(project: RenovationProject) -> dict:
    """What the subsidy standard is looked up by: county, year, category, size, level."""
    household = project.household
    return {
        "county": county_of(household),
        "year": project.year,
        "category": household.category,
        "family_size": household.family_size,
        "level": project.danger_level,
    }


def _standard_of(project: RenovationProject):
    from subsidies.calculator import calculate

    return calculate(**_case(project))


def _township_area(project: RenovationProject, area) -> Decimal | None:
    """Document 003: for ④⑤ the township approves the area of a rebuilt or new house."""
    from renovation.services.closeout import township_sets_area

    if area in (None, ""):
        if township_sets_area(project) and project.method in BUILT_METHODS:
            raise DomainError(
                "严重困难家庭、低保边缘家庭的改造面积以乡镇人民政府审批为准，请填写乡镇审批面积。"
            )
        return None
    if not township_sets_area(project):
        raise DomainError("该类别的改造面积按面积标准执行，乡镇无需审批面积。")
    area = Decimal(str(area)).quantize(Decimal("0.01"))
    if not area.is_finite() or not 0 < area < 1000:
        raise DomainError("乡镇审批面积应大于0且小于1000㎡。")
    return area


def _township_amount(project: RenovationProject, amount) -> Decimal | None:
    """The township's amount where the standard leaves it to the township, else None."""
    try:
        calculation = _standard_of(project)
    except DomainError:
        return None  # no standard applies: approval says so
    standard = calculation.standard
    if not standard.township_decides:
        if amount not in (None, ""):
            raise DomainError("该类别和等级的补助按标准计算，乡镇无需核定金额。")
        return None
    if amount in (None, ""):
        raise DomainError(
            f"{standard.name}{project.get_danger_level_display()}的补助由乡镇核定，"
            f"请填写乡镇核定补助金额（最高{standard.cap:,.2f}元）。"
        )
    amount = Decimal(str(amount)).quantize(Decimal("0.01"))
    if not amount.is_finite() or amount <= 0 or amount > standard.cap:
        raise DomainError(f"乡镇核定补助金额应大于0且不超过{standard.cap:,.2f}元。")
    return amount


def approval_blockers(project: RenovationProject, today: dt.date | None = None) -> list[str]:
    """Why the project cannot be approved yet (empty when it can)."""
    today = _today(today)
    if project.status != S.PUBLICITY:
        return [f"项目当前状态为“{project.get_status_display()}”，须公示结束后才能批准。"]
    reasons = []
    publicities = {p.level: p for p in project.publicities.all()}
    for level in PUBLICITY_ORDER:
        p = publicities.get(level)
        if p is None:
            reasons.append(f"尚未进行{level.label}。")
        elif p.ends_on >= today:
            reasons.append(f"{level.label}至{p.ends_on:%Y-%m-%d}结束，公示期未满不能批准。")
    if project.planned_area is not None:
        from renovation.services.closeout import area_violation

        violation = area_violation(project, project.planned_area)
        if (
            violation
            and not AreaException.objects.unscoped(HELD_PARENT).filter(project=project).exists()
        ):
            reasons.append(f"计划{violation}须由县住建局录入面积标准例外（写明理由）后才能批准。")
    open_objections = (
        Objection.objects.unscoped("of the held project")
        .filter(publicity__project=project, resolved_on__isnull=True)
        .count()
    )
    if open_objections:
        reasons.append(f"还有{open_objections}条公示异议未处理。")
    return reasons


@attributed
def project_approve(
    *, project: RenovationProject, by: User, today: dt.date | None = None
) -> RenovationProject:
    """Into the annual plan, with the subsidy per the county's standard for the year."""

    steps.require_role("approve", by)
    today = _today(today)
    with transaction.atomic():
        project = _lock(project, by)
        if project.joint_reviewed_by_id == by.pk:
            raise DomainError("联合审核录入人不能批准同一项目。")
        blockers = approval_blockers(project, today)
        if blockers:
            raise DomainError("不能批准：" + "".join(blockers))
        calculation = _standard_of(project)
        amount, explanation = calculation.amount, calculation.explanation
        if calculation.standard.township_decides:
            if project.township_amount is None:
                raise DomainError(
                    "不能批准：该项目的补助由乡镇核定，乡镇初审时未填写核定金额"
                    f"（最高{calculation.standard.cap:,.2f}元）。"
                )
            amount = min(project.township_amount, calculation.standard.cap)
            explanation += f"；乡镇核定 {amount:,.2f}"
        return _move(
            project,
            S.APPROVED,
            approved_on=today,
            approved_by=by,
            approved_amount=amount,
            amount_explanation=explanation[:300],
        )


def _batch(projects: Sequence[RenovationProject], action, verb: str) -> list:
    """Run `action` on every project in one transaction; any failure undoes all of them."""
    if not projects:
        raise DomainError("请至少选择一个项目。")
    errors: dict[int, str] = {}
    results = []
    with transaction.atomic():
        for project in sorted(projects, key=lambda p: p.pk):
            try:
                with transaction.atomic():
                    results.append(action(project))
            except DomainError as exc:
                errors[project.pk] = str(exc)
        if errors:
            raise BatchRefused(
                f"{verb}未执行：{len(errors)}个项目不符合条件，所选项目均未{verb}。", errors
            )
    return results


@attributed
def projects_approve_batch(
    *, projects: Sequence[RenovationProject], by: User, today: dt.date | None = None
) -> list[RenovationProject]:
    """The annual list, approved in one action: all or nothing, with a reason per row."""
    require_role(by, APPROVE_ROLES, "批准改造项目（仅限县分管领导）")
    return _batch(projects, lambda p: project_approve(project=p, by=by, today=today), "批准")


def _override_limit(project: RenovationProject):
    from subsidies.calculator import override_limit

    return override_limit(**_case(project))


def _paid_so_far(project: RenovationProject) -> Decimal:
    from subsidies.services import paid_total

    return paid_total(project)


def _check_override(
    project: RenovationProject, amount: Decimal, materials_total: Decimal | None
) -> None:
    """The adjusted amount stays within the standard's cap for the case and never drops
    below what has gone out (lines and advances); a C-level amount above the standard needs
    the materials list's total and stays within it."""
    limit = _override_limit(project)
    if amount > limit.cap:
        raise DomainError(
            f"调整后金额{amount:,.2f}元超过{limit.label}补助上限{limit.cap:,.2f}元，不能调整。"
        )
    paid = _paid_so_far(project)
    if amount < paid:
        raise DomainError(
            f"调整后金额{amount:,.2f}元低于已拨付（含乡镇垫付）的{paid:,.2f}元，不能调整。"
        )
    if limit.needs_materials and amount > limit.computed:
        if materials_total is None:
            raise DomainError(
                f"C级危房补助超过标准金额{limit.computed:,.2f}元的，须上传村级材料清单并填写其合计金额。"
            )
        if amount > materials_total:
            raise DomainError(
                f"调整后金额{amount:,.2f}元超过村级材料清单合计{materials_total:,.2f}元。"
            )


@attributed
def project_override_amount(
    *,
    project: RenovationProject,
    by: User,
    amount: Decimal,
    reason: str,
    materials_file=None,
    materials_total: Decimal | None = None,
) -> AmountOverride:
    """Ask to adjust the approved subsidy: it counts once the county approver confirms."""
    steps.require_role("override_amount", by)
    reason = _text(reason, "调整补助金额必须填写理由。")
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        total = (
            Decimal(str(materials_total)).quantize(Decimal("0.01"))
            if materials_total not in (None, "")
            else None
        )
    except (ArithmeticError, ValueError) as exc:
        raise DomainError("金额不是有效的数字。") from exc
    if not amount.is_finite() or amount <= 0:
        raise DomainError("补助金额必须大于0。")
    if total is not None and (not total.is_finite() or total <= 0):
        raise DomainError("材料清单合计金额必须大于0。")
    if total is not None and not materials_file:
        raise DomainError("填写材料清单合计金额时须上传村级材料清单。")
    info = (
        validate_upload(materials_file, allowed=DOCUMENT_TYPES, label="村级材料清单")
        if materials_file
        else None
    )
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        steps.require("override_amount", project, by)
        _check_override(project, amount, total if info else None)
        override = AmountOverride(
            project=project,
            previous_amount=project.approved_amount,
            amount=amount,
            reason=reason,
            materials_total=total if info else None,
            requested_by=by,
        )
        if info:
            store_upload(override, "materials_file", materials_file, info, stored)
            override.materials_content_type = info.content_type
        override.save()
        save_versioned(project)
    return override


def pending_override(project: RenovationProject) -> AmountOverride | None:
    return (
        AmountOverride.objects.unscoped("of the held project")
        .filter(project=project, status=OverrideStatus.PENDING)
        .first()
    )


@attributed
def project_override_decide(
    *, project: RenovationProject, by: User, confirm: bool, note: str = ""
) -> RenovationProject:
    """The county approver (not the requester) confirms or rejects a pending adjustment;
    on confirmation the limits are checked again against what has been paid by then."""
    steps.require_role("override_decide", by)
    note = (note or "").strip()
    if not confirm and not note:
        raise DomainError("驳回补助金额调整须填写理由。")
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("override_decide", project, by)
        override = (
            AmountOverride.objects.unscoped("of the locked project")
            .select_for_update()
            .get(project=project, status=OverrideStatus.PENDING)
        )
        if override.requested_by_id == by.pk:
            raise DomainError("申请人不能确认自己提交的补助金额调整。")
        override.status = OverrideStatus.CONFIRMED if confirm else OverrideStatus.REJECTED
        override.decided_by = by
        override.decided_at = timezone.now()
        override.decision_note = note[:200]
        if not confirm:
            override.save()
            return save_versioned(project)
        _check_override(project, override.amount, override.materials_total)
        override.save()
        base = project.amount_explanation.split("；调整为")[0]
        explanation = (
            f"{base}；调整为{override.amount:,.2f}元（{override.reason[:60]}；"
            f"申请：{override.requested_by.display_name}，确认：{by.display_name}）"
        )
        return save_versioned(
            project,
            approved_amount=override.amount,
            amount_override_reason=override.reason,
            amount_overridden_by=by,
            amount_explanation=explanation[:300],
        )
