"""Application, village, township and joint review: DOMAIN.md "Renovation" steps 1–4."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from core.audit import attributed
from core.errors import DomainError, RoleRefused
from core.locking import lock_for_update, save_versioned
from core.rules import has_role, require_role
from core.uploads import (
    DOCUMENT_TYPES,
    files_removed_on_error,
    store_upload,
)
from households.models import Household
from inspections.models import StateLevel
from inspections.selectors import current_state
from renovation import steps
from renovation.models import (
    ACTIVE,
    BUILT_METHODS,
    ENDED,
    BuilderKind,
    BuildMode,
    DangerLevel,
    JointDepartment,
    JointReviewOpinion,
    RenovationMethod,
    RenovationProject,
    ReviewResult,
    VillageReview,
)
from renovation.services._common import (
    MIN_REPRESENTATIVES,
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
from renovation.services.closeout import township_sets_area
from renovation.steps import APPLY_ROLES, CONSTRUCTION_ROLES
from subsidies.calculator import calculate
from subsidies.models import DisasterReadmission, HistoricRenovation

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
        locked = lock_for_update(
            Household.objects.visible_to(by), household.pk, missing="该农户不在您的管辖区划内。"
        )
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


# The township's amount and area (step 3), read again at approval.


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
    return calculate(**_case(project))


def _township_area(project: RenovationProject, area) -> Decimal | None:
    """Document 003: for ④⑤ the township approves the area of a rebuilt or new house."""

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
