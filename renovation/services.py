"""Every write of the renovation app: one function per step of DOMAIN.md "Renovation".

Each one locks the project row (a lock held by someone else is a conflict, not a wait),
checks role, area and prerequisites, and refuses anything out of order with a Chinese
message before anything is written: a refused call changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Area, Role
from core.audit import attributed
from core.errors import ConflictError, DomainError
from core.uploads import DOCUMENT_TYPES, IMAGE_TYPES, validate_upload
from households.models import Household
from inspections.models import LedgerClosure
from inspections.selectors import current_appraisal
from renovation.defaults import DEFAULT_AREA_STANDARD
from renovation.models import (
    ACTIVE,
    BUILT_METHODS,
    ENDED,
    Acceptance,
    AreaException,
    AreaStandard,
    BuilderKind,
    BuildMode,
    CheckResult,
    Commitment,
    DangerLevel,
    Demolition,
    JointDepartment,
    JointReviewOpinion,
    Objection,
    PhotoStage,
    ProjectPhoto,
    ProjectStatus,
    Publicity,
    PublicityLevel,
    QualityCheck,
    RenovationMethod,
    RenovationProject,
    ReviewResult,
    VillageReview,
)

S = ProjectStatus
R = Role

# Who does which step (DOMAIN.md "People and places"); officials are never writers.
APPLY_ROLES = frozenset({R.VILLAGE_CLERK, R.TOWNSHIP_STAFF})
VILLAGE_REVIEW_ROLES = frozenset({R.VILLAGE_CLERK, R.TOWNSHIP_STAFF})
TOWNSHIP_REVIEW_ROLES = frozenset({R.TOWNSHIP_STAFF})
JOINT_REVIEW_ROLES = frozenset({R.COUNTY_REVIEWER})
PUBLICITY_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
OBJECTION_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
APPROVE_ROLES = frozenset({R.COUNTY_APPROVER})
OVERRIDE_ROLES = frozenset({R.COUNTY_REVIEWER})
NOTIFY_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
CONSTRUCTION_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
PHOTO_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
QUALITY_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
ACCEPT_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF})
AREA_EXCEPTION_ROLES = frozenset({R.COUNTY_REVIEWER})
DEMOLITION_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
CLOSE_ROLES = frozenset({R.COUNTY_REVIEWER})
END_ROLES = frozenset({R.COUNTY_REVIEWER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})
# Every role that may write anything in this app (pages and API narrow per action).
WRITE_ROLES = frozenset({R.COUNTY_REVIEWER, R.COUNTY_APPROVER, R.TOWNSHIP_STAFF, R.VILLAGE_CLERK})

CONFLICT_MESSAGE = "其他用户正在处理该项目，请稍后再试。"
NOT_IN_AREA = "该项目不在您的管辖区划内。"
MIN_REPRESENTATIVES = 5  # village review: at least 5 villager representatives
SPLIT_SCRUTINY_YEARS = 2
MAX_PHOTOS = 20


class BatchRefused(DomainError):
    """A batch action changed nothing because some rows failed; `errors` maps id → reason."""

    def __init__(self, message: str, errors: dict[int, str]):
        super().__init__(message)
        self.errors = errors


# --- helpers ---------------------------------------------------------------------------


def _require_role(by, roles, action: str) -> None:
    if by.is_superuser and not by.role:
        return
    if by.role not in roles:
        raise DomainError(f"您的角色无权{action}。")


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _date(day: dt.date | None, label: str, today: dt.date | None) -> dt.date:
    if day is None:
        raise DomainError(f"请填写{label}。")
    if day > _today(today):
        raise DomainError(f"{label}不能晚于今天。")
    return day


def _not_before(day: dt.date, earlier: dt.date | None, label: str, earlier_label: str) -> None:
    if earlier and day < earlier:
        raise DomainError(f"{label}不能早于{earlier_label}（{earlier:%Y-%m-%d}）。")


def _text(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message)
    return value


def _lock(project: RenovationProject, by, version: int | None = None) -> RenovationProject:
    """The project row, locked for this transaction; someone else's lock is a conflict."""
    try:
        locked = (
            RenovationProject.objects.visible_to(by)
            .select_for_update(nowait=True, of=("self",))
            .select_related("household", "household__village")
            .filter(pk=project.pk)
            .first()
        )
    except OperationalError as exc:  # lock_not_available: another transaction holds it
        raise ConflictError(CONFLICT_MESSAGE) from exc
    if locked is None:
        raise DomainError(NOT_IN_AREA)
    if version is not None and locked.version != version:
        raise ConflictError("该项目已被他人修改，请刷新页面后重试。")
    return locked


def _require_status(project: RenovationProject, allowed: Iterable[str], action: str) -> None:
    allowed = tuple(allowed)
    if project.status not in allowed:
        raise DomainError(
            f"项目当前状态为“{project.get_status_display()}”，不能{action}。"
            if project.status not in ENDED
            else f"项目已{project.get_status_display()}，不能{action}。"
        )


def _move(project: RenovationProject, status: str, **fields) -> RenovationProject:
    if not project.can_move_to(status):
        label = S(status).label
        raise DomainError(f"项目当前状态为“{project.get_status_display()}”，不能变为“{label}”。")
    project.status = status
    return _save(project, **fields)


def _save(project: RenovationProject, **fields) -> RenovationProject:
    for name, value in fields.items():
        setattr(project, name, value)
    project.version = F("version") + 1
    project.save()
    project.refresh_from_db()
    return project


def _validate_file(upload, *, allowed, label: str, required: bool = True):
    if not upload:
        if required:
            raise DomainError(f"请上传{label}。")
        return None
    return validate_upload(upload, allowed=allowed, label=label)


@contextlib.contextmanager
def _files_removed_on_error():
    """Files written to storage in this block are deleted again if the block fails."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for field_file in stored:
            with contextlib.suppress(Exception):
                field_file.storage.delete(field_file.name)
        raise


def _store(instance, field: str, upload, info, stored: list) -> None:
    instance._sniffed_extension = info.extension
    getattr(instance, field).save(upload.name or field, upload, save=False)
    stored.append(getattr(instance, field))


def county_of(household: Household) -> Area:
    return Area.objects.get(pk=household.village_id[:6] + "000000")


def needs_split_scrutiny(project: RenovationProject, today: dt.date | None = None) -> bool:
    """Split off within two years and no house: a possible 突击分户 to claim twice."""
    split_on = project.household.split_on
    if not split_on or project.danger_level != DangerLevel.NO_HOUSE:
        return False
    today = _today(today)
    try:
        limit = today.replace(year=today.year - SPLIT_SCRUTINY_YEARS)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - SPLIT_SCRUTINY_YEARS, day=28)
    return split_on >= limit


# --- 1. application --------------------------------------------------------------------


@attributed
def project_apply(
    *,
    household: Household,
    by,
    year: int,
    applied_on: dt.date,
    method: str,
    method_note: str = "",
    on_behalf: bool = False,
    note: str = "",
    application_file=None,
    today: dt.date | None = None,
) -> RenovationProject:
    _require_role(by, APPLY_ROLES, "录入改造申请（仅限村委会、乡镇）")
    _date(applied_on, "申请日期", today)
    if method not in RenovationMethod.values:
        raise DomainError("请选择改造方式。")
    if not 2000 <= int(year) <= _today(today).year + 1:
        raise DomainError("请填写有效的年度。")
    info = _validate_file(application_file, allowed=DOCUMENT_TYPES, label="申请书", required=False)
    with transaction.atomic(), _files_removed_on_error() as stored:
        locked = (
            Household.objects.visible_to(by)
            .select_for_update(of=("self",))
            .filter(pk=household.pk)
            .first()
        )
        if locked is None:
            raise DomainError("该农户不在您的管辖区划内。")
        appraisal = current_appraisal(locked)
        if appraisal is None or appraisal.level not in DangerLevel.values:
            raise DomainError("只有当前鉴定为C级、D级危房或无房的农户可以申请改造，请先完成鉴定。")
        if method == RenovationMethod.REPAIR and appraisal.level != DangerLevel.C:
            raise DomainError("修缮加固只适用于C级危房；D级危房或无房户应翻建、新建或置换。")
        mine = RenovationProject.objects.unscoped("of the locked household").filter(
            household=locked
        )
        if mine.filter(status__in=ACTIVE).exists():
            raise DomainError("该农户已有进行中的改造项目，不能重复申请。")
        if mine.filter(status=S.CLOSED, year=year).exists():
            raise DomainError(f"该农户{year}年度的改造项目已销号，不能重复申请。")
        project = RenovationProject(
            household=locked,
            year=year,
            danger_level=appraisal.level,
            appraisal=appraisal,
            method=method,
            method_note=(method_note or "").strip(),
            on_behalf=on_behalf,
            application_note=(note or "").strip(),
            applied_on=applied_on,
            applied_by=by,
        )
        if info:
            project.application_content_type = info.content_type
            _store(project, "application_file", application_file, info, stored)
        project.save()
    return project


@attributed
def project_update_plan(
    *,
    project: RenovationProject,
    by,
    version: int | None = None,
    method: str | None = None,
    method_note: str | None = None,
    build_mode: str | None = None,
    builder_kind: str | None = None,
    builder_name: str | None = None,
) -> RenovationProject:
    """Method and builder may change until construction starts; nothing else is editable."""
    _require_role(by, CONSTRUCTION_ROLES | APPLY_ROLES, "修改改造方案")
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
        return _save(project, **fields) if fields else project


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
    by,
    held_on: dt.date,
    cadres: Sequence[str] | str,
    representatives: Sequence[str] | str,
    result: str,
    minutes_file,
    note: str = "",
    today: dt.date | None = None,
) -> VillageReview:
    _require_role(by, VILLAGE_REVIEW_ROLES, "录入村级评议")
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
    with transaction.atomic(), _files_removed_on_error() as stored:
        project = _lock(project, by)
        _require_status(project, [S.APPLIED], "录入村级评议")
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
        _store(review, "minutes_file", minutes_file, info, stored)
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
    by,
    reviewed_on: dt.date,
    passed: bool,
    opinion: str,
    today: dt.date | None = None,
) -> RenovationProject:
    _require_role(by, TOWNSHIP_REVIEW_ROLES, "进行乡镇初审（仅限乡镇工作人员）")
    _date(reviewed_on, "初审日期", today)
    opinion = _text(opinion, "请填写乡镇初审意见。")
    with transaction.atomic():
        project = _lock(project, by)
        _require_status(project, [S.VILLAGE_REVIEWED], "进行乡镇初审")
        _not_before(reviewed_on, project.village_reviewed_on, "初审日期", "村级评议日期")
        fields = {
            "township_reviewed_on": reviewed_on,
            "township_reviewed_by": by,
            "township_opinion": opinion,
        }
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
    by,
    reviewed_on: dt.date,
    opinions: dict[str, tuple[bool, str]],
    today: dt.date | None = None,
) -> RenovationProject:
    """Opinions of the five departments; the review passes only if all five agree."""
    _require_role(by, JOINT_REVIEW_ROLES, "录入联合审核（仅限县住建局审核员）")
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
        _require_status(project, [S.TOWNSHIP_REVIEWED], "录入联合审核")
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
    by,
    level: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> Publicity:
    """Record one level's notice; the village level comes first, the county last."""
    _require_role(by, PUBLICITY_ROLES, "录入公示")
    if level not in PublicityLevel.values:
        raise DomainError("请选择公示级别。")
    if starts_on is None:
        raise DomainError("请填写公示开始日期。")
    ends_on = ends_on or starts_on + dt.timedelta(days=publicity_days() - 1)
    if ends_on < starts_on:
        raise DomainError("公示结束日期不能早于开始日期。")
    with transaction.atomic():
        project = _lock(project, by)
        _require_status(project, [S.JOINT_REVIEWED, S.PUBLICITY], "录入公示")
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
            _not_before(starts_on, previous.starts_on, "公示开始日期", previous.get_level_display())
        publicity = Publicity.objects.create(
            project=project, level=level, starts_on=starts_on, ends_on=ends_on, recorded_by=by
        )
        if project.status == S.JOINT_REVIEWED:
            _move(project, S.PUBLICITY)
        else:
            _save(project)
    return publicity


@attributed
def publicities_start(
    *, projects: Sequence[RenovationProject], by, level: str, starts_on: dt.date, ends_on=None
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
    by,
    raised_on: dt.date,
    content: str,
    raised_by_name: str = "",
    today: dt.date | None = None,
) -> Objection:
    _require_role(by, OBJECTION_ROLES, "登记公示异议")
    _date(raised_on, "异议提出日期", today)
    content = _text(content, "请填写异议内容。")
    with transaction.atomic():
        project = _lock(publicity.project, by)
        _require_status(project, [S.PUBLICITY], "登记公示异议")
        objection = Objection.objects.create(
            publicity=publicity,
            raised_on=raised_on,
            raised_by_name=(raised_by_name or "").strip(),
            content=content,
            recorded_by=by,
        )
        _save(project)
    return objection


@attributed
def objection_resolve(
    *,
    objection: Objection,
    by,
    resolution: str,
    resolved_on: dt.date,
    today: dt.date | None = None,
) -> Objection:
    _require_role(by, OBJECTION_ROLES, "处理公示异议")
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
        _require_status(project, [S.PUBLICITY], "处理公示异议")
        _not_before(resolved_on, objection.raised_on, "处理日期", "异议提出日期")
        objection.resolution = resolution
        objection.resolved_on = resolved_on
        objection.resolved_by = by
        objection.save()
        _save(project)
    return objection


# --- 6. approval -----------------------------------------------------------------------


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
    *, project: RenovationProject, by, today: dt.date | None = None
) -> RenovationProject:
    """Into the annual plan, with the subsidy per the county's standard for the year."""
    from subsidies.calculator import calculate

    _require_role(by, APPROVE_ROLES, "批准改造项目（仅限县分管领导）")
    today = _today(today)
    with transaction.atomic():
        project = _lock(project, by)
        if project.joint_reviewed_by_id == by.pk:
            raise DomainError("联合审核录入人不能批准同一项目。")
        blockers = approval_blockers(project, today)
        if blockers:
            raise DomainError("不能批准：" + "".join(blockers))
        household = project.household
        calculation = calculate(
            county=county_of(household),
            year=project.year,
            category=household.category,
            family_size=household.family_size,
            level=project.danger_level,
        )
        return _move(
            project,
            S.APPROVED,
            approved_on=today,
            approved_by=by,
            approved_amount=calculation.amount,
            amount_explanation=calculation.explanation[:300],
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
    *, projects: Sequence[RenovationProject], by, today: dt.date | None = None
) -> list[RenovationProject]:
    """The annual list, approved in one action: all or nothing, with a reason per row."""
    _require_role(by, APPROVE_ROLES, "批准改造项目（仅限县分管领导）")
    return _batch(projects, lambda p: project_approve(project=p, by=by, today=today), "批准")


@attributed
def project_override_amount(
    *, project: RenovationProject, by, amount: Decimal, reason: str
) -> RenovationProject:
    _require_role(by, OVERRIDE_ROLES, "调整补助金额（仅限县住建局审核员）")
    reason = _text(reason, "调整补助金额必须填写理由。")
    amount = Decimal(amount)
    if amount < 0:
        raise DomainError("补助金额不能为负数。")
    with transaction.atomic():
        project = _lock(project, by)
        if project.approved_amount is None or project.status in ENDED:
            raise DomainError("只有已批准的项目可以调整补助金额。")
        if project.status == S.CLOSED:
            raise DomainError("项目已销号，不能调整补助金额。")
        return _save(
            project,
            approved_amount=amount.quantize(Decimal("0.01")),
            amount_override_reason=reason,
            amount_overridden_by=by,
        )


# --- 7. notification letter and commitment ---------------------------------------------


def default_completion_due(year: int) -> dt.date:
    return dt.date(year, 7, 31)  # completion by 31 July in principle (DOMAIN.md step 10)


@attributed
def project_notify(
    *,
    project: RenovationProject,
    by,
    notified_on: dt.date,
    completion_due: dt.date | None = None,
    today: dt.date | None = None,
) -> RenovationProject:
    _require_role(by, NOTIFY_ROLES, "函告农户")
    _date(notified_on, "函告日期", today)
    with transaction.atomic():
        project = _lock(project, by)
        _require_status(project, [S.APPROVED], "函告农户")
        _not_before(notified_on, project.approved_on, "函告日期", "批准日期")
        due = completion_due or default_completion_due(project.year)
        if due < notified_on:
            raise DomainError("应竣工日期不能早于函告日期，请另行填写应竣工日期。")
        return _move(
            project, S.NOTIFIED, notified_on=notified_on, notified_by=by, completion_due=due
        )


@attributed
def commitment_record(
    *,
    project: RenovationProject,
    by,
    signed_on: dt.date | None,
    file=None,
    today: dt.date | None = None,
) -> Commitment:
    _require_role(by, CONSTRUCTION_ROLES, "录入承诺书")
    if signed_on is None:
        raise DomainError("承诺书必须填写签署日期。")
    _date(signed_on, "承诺书签署日期", today)
    info = _validate_file(file, allowed=DOCUMENT_TYPES, label="承诺书扫描件", required=False)
    with transaction.atomic(), _files_removed_on_error() as stored:
        project = _lock(project, by)
        _require_status(project, [S.NOTIFIED], "录入承诺书")
        if Commitment.objects.filter(project=project).exists():
            raise DomainError("该项目已录入承诺书。")
        _not_before(signed_on, project.notified_on, "承诺书签署日期", "函告日期")
        commitment = Commitment(project=project, signed_on=signed_on, recorded_by=by)
        if info:
            commitment.content_type = info.content_type
            _store(commitment, "file", file, info, stored)
        commitment.save()
        _save(project)
    return commitment


# --- 8. construction, photos, 9. quality checks, 10. completion -------------------------


@attributed
def construction_start(
    *,
    project: RenovationProject,
    by,
    started_on: dt.date,
    build_mode: str,
    builder_kind: str,
    builder_name: str,
    today: dt.date | None = None,
) -> RenovationProject:
    _require_role(by, CONSTRUCTION_ROLES, "登记开工")
    _date(started_on, "开工日期", today)
    if build_mode not in BuildMode.values:
        raise DomainError("请选择建设方式（自建或统建）。")
    if builder_kind not in BuilderKind.values:
        raise DomainError("请选择施工方（农村建筑工匠或施工企业）。")
    builder_name = _text(builder_name, "请填写工匠或施工企业名称。")
    with transaction.atomic():
        project = _lock(project, by)
        _require_status(project, [S.NOTIFIED], "登记开工")
        commitment = Commitment.objects.filter(project=project).first()
        if commitment is None:
            raise DomainError("农户尚未签署承诺书，不能开工。")
        _not_before(started_on, project.notified_on, "开工日期", "函告日期")
        return _move(
            project,
            S.UNDER_CONSTRUCTION,
            started_on=started_on,
            build_mode=build_mode,
            builder_kind=builder_kind,
            builder_name=builder_name,
        )


@attributed
def project_photos_add(
    *, project: RenovationProject, by, stage: str, files: Sequence
) -> list[ProjectPhoto]:
    _require_role(by, PHOTO_ROLES, "上传改造照片")
    if stage not in PhotoStage.values:
        raise DomainError("请选择照片阶段（改造前、改造中、改造后）。")
    files = [f for f in files or () if f]
    if not files:
        raise DomainError("请选择要上传的照片。")
    if len(files) > MAX_PHOTOS:
        raise DomainError(f"每次最多上传 {MAX_PHOTOS} 张照片。")
    validated = [(f, validate_upload(f, allowed=IMAGE_TYPES, label="照片")) for f in files]
    with transaction.atomic(), _files_removed_on_error() as stored:
        project = _lock(project, by)
        if project.status in ENDED or project.status == S.CLOSED:
            raise DomainError("项目已终止或销号，不能再上传照片。")
        photos = []
        for upload, info in validated:
            photo = ProjectPhoto(
                project=project,
                stage=stage,
                original_name=(getattr(upload, "name", "") or "")[:200],
                content_type=info.content_type,
                size=info.size,
                taken_at=info.taken_at,
                uploaded_by=by,
            )
            _store(photo, "file", upload, info, stored)
            photo.save()
            photos.append(photo)
        _save(project)
    return photos


@attributed
def quality_check_record(
    *,
    project: RenovationProject,
    by,
    checked_on: dt.date,
    inspector: str,
    result: str,
    problems: str = "",
    recheck_of: QualityCheck | None = None,
    today: dt.date | None = None,
) -> QualityCheck:
    _require_role(by, QUALITY_ROLES, "录入质量检查")
    _date(checked_on, "检查日期", today)
    inspector = _text(inspector, "请填写检查人。")
    if result not in CheckResult.values:
        raise DomainError("请选择检查结果。")
    problems = (problems or "").strip()
    if result == CheckResult.PROBLEMS and not problems:
        raise DomainError("发现问题时请写明问题。")
    with transaction.atomic():
        project = _lock(project, by)
        _require_status(project, [S.UNDER_CONSTRUCTION, S.COMPLETED], "录入质量检查")
        _not_before(checked_on, project.started_on, "检查日期", "开工日期")
        if recheck_of is not None:
            if recheck_of.project_id != project.pk:
                raise DomainError("复查的检查记录不属于该项目。")
            if recheck_of.result != CheckResult.PROBLEMS:
                raise DomainError("只有发现问题的检查需要复查。")
            _not_before(checked_on, recheck_of.checked_on, "复查日期", "原检查日期")
        check = QualityCheck.objects.create(
            project=project,
            checked_on=checked_on,
            inspector=inspector,
            result=result,
            problems=problems,
            recheck_of=recheck_of,
            recorded_by=by,
        )
        _save(project)
    return check


def open_quality_problems(project: RenovationProject) -> list[QualityCheck]:
    """Checks that found problems and have no passing recheck down their chain."""
    checks = list(project.quality_checks.all())
    children: dict[int, list[QualityCheck]] = {}
    for c in checks:
        if c.recheck_of_id:
            children.setdefault(c.recheck_of_id, []).append(c)

    def resolved(check: QualityCheck) -> bool:
        return any(
            child.result == CheckResult.PASSED or resolved(child)
            for child in children.get(check.pk, [])
        )

    return [c for c in checks if c.result == CheckResult.PROBLEMS and not resolved(c)]


@attributed
def construction_complete(
    *, project: RenovationProject, by, completed_on: dt.date, today: dt.date | None = None
) -> RenovationProject:
    _require_role(by, CONSTRUCTION_ROLES, "登记竣工")
    _date(completed_on, "竣工日期", today)
    with transaction.atomic():
        project = _lock(project, by)
        _require_status(project, [S.UNDER_CONSTRUCTION], "登记竣工")
        _not_before(completed_on, project.started_on, "竣工日期", "开工日期")
        return _move(project, S.COMPLETED, completed_on=completed_on)


# --- 11. acceptance and the area standard ----------------------------------------------


def area_standard_for(county: Area, year: int) -> AreaStandard:
    """The county's standard for the year: last year's, or the defaults, when none is set."""
    standard = AreaStandard.objects.filter(county=county, year=year).first()
    if standard:
        return standard
    previous = AreaStandard.objects.filter(county=county, year__lt=year).order_by("-year").first()
    values = (
        {
            k: getattr(previous, k)
            for k in ("max_one_person", "max_two_persons", "min_per_person", "max_per_person")
        }
        if previous
        else DEFAULT_AREA_STANDARD
    )
    standard, _ = AreaStandard.objects.get_or_create(county=county, year=year, defaults=values)
    return standard


def _m2(value: Decimal) -> str:
    value = Decimal(value)
    return f"{value:.0f}" if value == value.to_integral() else f"{value:.2f}"


def area_violation(project: RenovationProject, built_area: Decimal) -> str | None:
    """Why `built_area` breaks the standard for a rebuilt/new house, or None."""
    if project.method not in BUILT_METHODS:
        return None  # a repaired or replaced house keeps its area
    standard = area_standard_for(county_of(project.household), project.year)
    size = project.household.family_size
    area = Decimal(built_area)
    if size == 1 and area > standard.max_one_person:
        return f"1人户建筑面积不应超过{_m2(standard.max_one_person)}㎡，实际{_m2(area)}㎡。"
    if size == 2 and area > standard.max_two_persons:
        return f"2人户建筑面积不应超过{_m2(standard.max_two_persons)}㎡，实际{_m2(area)}㎡。"
    if size >= 3:
        low, high = standard.min_per_person * size, standard.max_per_person * size
        if not low <= area <= high:
            return (
                f"{size}人户建筑面积应为{_m2(low)}–{_m2(high)}㎡（每人"
                f"{_m2(standard.min_per_person)}–{_m2(standard.max_per_person)}㎡），"
                f"实际{_m2(area)}㎡（人均{_m2(area / size)}㎡）。"
            )
    return None


@attributed
def area_exception_grant(*, project: RenovationProject, by, reason: str) -> AreaException:
    _require_role(by, AREA_EXCEPTION_ROLES, "批准面积标准例外（仅限县住建局审核员）")
    reason = _text(reason, "请填写面积标准例外的理由。")
    with transaction.atomic():
        project = _lock(project, by)
        if project.status in ENDED or project.status in (S.ACCEPTED, S.CLOSED):
            raise DomainError("项目已验收、销号或终止，不能再录入面积例外。")
        if AreaException.objects.filter(project=project).exists():
            raise DomainError("该项目已有面积标准例外。")
        exception = AreaException.objects.create(project=project, reason=reason, granted_by=by)
        _save(project)
    return exception


@attributed
def project_accept(
    *,
    project: RenovationProject,
    by,
    accepted_on: dt.date,
    participants: str,
    evaluation_passed: bool | None,
    evaluation_form,
    built_area: Decimal | None,
    today: dt.date | None = None,
) -> Acceptance:
    _require_role(by, ACCEPT_ROLES, "录入竣工验收")
    _date(accepted_on, "验收日期", today)
    participants = _text(participants, "请填写参加验收的人员（乡镇、村、农户、工匠）。")
    if evaluation_passed is None:
        raise DomainError("请填写基本安全评定结果。")
    if not evaluation_passed:
        raise DomainError("基本安全评定不合格，不能通过验收；请整改后重新评定。")
    if built_area is None or Decimal(built_area) <= 0:
        raise DomainError("请填写建筑面积。")
    info = _validate_file(evaluation_form, allowed=DOCUMENT_TYPES, label="基本安全评定表")
    with transaction.atomic(), _files_removed_on_error() as stored:
        project = _lock(project, by)
        if project.status == S.UNDER_CONSTRUCTION or project.completed_on is None:
            raise DomainError("项目尚未登记竣工，不能验收。")
        _require_status(project, [S.COMPLETED], "验收")
        _not_before(accepted_on, project.completed_on, "验收日期", "竣工日期")
        if not project.quality_checks.exists():
            raise DomainError("该项目还没有质量检查记录，不能验收。")
        if open_quality_problems(project):
            raise DomainError("质量检查发现的问题尚未整改复查合格，不能验收。")
        violation = area_violation(project, built_area)
        if violation and not AreaException.objects.filter(project=project).exists():
            raise DomainError(
                f"建筑面积不符合面积标准：{violation}如确有正当理由，须由县住建局录入面积标准例外。"
            )
        acceptance = Acceptance(
            project=project,
            accepted_on=accepted_on,
            participants=participants,
            evaluation_passed=True,
            evaluation_content_type=info.content_type,
            built_area=Decimal(built_area),
            recorded_by=by,
        )
        _store(acceptance, "evaluation_form", evaluation_form, info, stored)
        acceptance.save()
        _move(project, S.ACCEPTED, accepted_on=accepted_on, built_area=Decimal(built_area))
    return acceptance


# --- 12. demolition, 13. close-out -----------------------------------------------------


@attributed
def demolition_record(
    *,
    project: RenovationProject,
    by,
    demolished_on: dt.date,
    photo,
    today: dt.date | None = None,
) -> Demolition:
    _require_role(by, DEMOLITION_ROLES, "登记旧房拆除")
    _date(demolished_on, "拆除日期", today)
    info = _validate_file(photo, allowed=IMAGE_TYPES, label="拆除照片")
    with transaction.atomic(), _files_removed_on_error() as stored:
        project = _lock(project, by)
        _require_status(
            project,
            [S.NOTIFIED, S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED],
            "登记旧房拆除",
        )
        if project.method == RenovationMethod.REPAIR:
            raise DomainError("修缮加固项目保留原房屋，无需登记拆除。")
        if Demolition.objects.filter(project=project).exists():
            raise DomainError("该项目已登记旧房拆除。")
        demolition = Demolition(
            project=project,
            demolished_on=demolished_on,
            content_type=info.content_type,
            recorded_by=by,
        )
        _store(demolition, "photo", photo, info, stored)
        demolition.save()
        _save(project)
    return demolition


@attributed
def demolition_not_applicable(*, project: RenovationProject, by, reason: str) -> RenovationProject:
    _require_role(by, DEMOLITION_ROLES, "登记无需拆除的理由")
    reason = _text(reason, "请填写无需拆除旧房的理由。")
    with transaction.atomic():
        project = _lock(project, by)
        if project.status in ENDED or project.status == S.CLOSED:
            raise DomainError("项目已终止或销号。")
        if project.method != RenovationMethod.REPAIR:
            raise DomainError("只有修缮加固（原房屋保留）的项目可以免于拆除旧房。")
        return _save(project, demolition_not_applicable_reason=reason)


@attributed
def project_close(
    *, project: RenovationProject, by, closed_on: dt.date, today: dt.date | None = None
) -> RenovationProject:
    """销号: 改造一户、销档一户. Also takes the household off the dangerous-house ledger."""
    from inspections.services import ledger_case_close

    _require_role(by, CLOSE_ROLES, "销号（仅限县住建局审核员）")
    _date(closed_on, "销号日期", today)
    with transaction.atomic():
        project = _lock(project, by)
        _require_status(project, [S.ACCEPTED], "销号")
        _not_before(closed_on, project.accepted_on, "销号日期", "验收日期")
        acceptance = Acceptance.objects.get(project=project)
        if acceptance.recorded_by_id == by.pk:
            raise DomainError("验收录入人不能为同一项目销号。")
        has_demolition = Demolition.objects.filter(project=project).exists()
        if not has_demolition and not project.demolition_not_applicable_reason:
            raise DomainError(
                "旧房尚未登记拆除（需拆除日期和照片），也没有无需拆除的理由，不能销号。"
            )
        project = _move(project, S.CLOSED, closed_on=closed_on, closed_by=by)
        if not LedgerClosure.objects.filter(household_id=project.household_id).exists():
            ledger_case_close(
                household=project.household,
                by=by,
                closed_on=closed_on,
                reason=f"{project.year}年危房改造已验收销号",
                today=today,
            )
    return project


@attributed
def project_end(
    *,
    project: RenovationProject,
    by,
    status: str,
    reason: str,
    ended_on: dt.date | None = None,
    today: dt.date | None = None,
) -> RenovationProject:
    """Declined (solved another way), rejected or withdrawn, always with a reason."""
    _require_role(by, END_ROLES, "终止改造项目")
    if status not in ENDED:
        raise DomainError("请选择终止方式（农户放弃、审核未通过或撤回）。")
    reason = _text(reason, "请填写理由。")
    ended_on = _date(ended_on or _today(today), "日期", today)
    with transaction.atomic():
        project = _lock(project, by)
        return _move(project, status, end_reason=reason, ended_on=ended_on, ended_by=by)
