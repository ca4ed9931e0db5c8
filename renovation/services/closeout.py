"""Acceptance and the area standard, demolition of the old house, close-out (销号) and
ending a project: DOMAIN.md "Renovation" steps 11–13."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from accounts.models import Area, User
from accounts.scoping import HELD_PARENT
from core.audit import attributed
from core.errors import DomainError
from core.locking import save_versioned
from core.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    files_removed_on_error,
    store_upload,
)
from inspections.models import StateLevel, StateSource
from inspections.services import safety_state_record
from renovation import steps
from renovation.defaults import DEFAULT_AREA_STANDARD
from renovation.models import (
    BUILT_METHODS,
    ENDED,
    Acceptance,
    AcceptanceParty,
    AreaException,
    AreaStandard,
    Demolition,
    FailedAcceptance,
    RenovationProject,
)
from renovation.services._common import (
    S,
    _date,
    _dated_step,
    _lock,
    _move,
    _not_before,
    _text,
    _today,
    _validate_file,
    county_of,
)
from renovation.services.construction import (
    open_quality_problems,
)

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


TOWNSHIP_AREA_CATEGORIES = frozenset({"hardship", "dibao_edge"})


def township_sets_area(project: RenovationProject) -> bool:
    """Document 003: for ④⑤ the area is the township government's approval, not the
    standard."""
    return project.household.category in TOWNSHIP_AREA_CATEGORIES


def area_violation(project: RenovationProject, built_area: Decimal) -> str | None:
    """Why `built_area` breaks the standard for a rebuilt/new house (or, for ④⑤, the area
    the township approved), or None."""
    if project.method not in BUILT_METHODS:
        return None  # a repaired or replaced house keeps its area
    if township_sets_area(project):
        approved = project.township_area
        if approved is not None and Decimal(built_area) > approved:
            return f"建筑面积不应超过乡镇审批的{_m2(approved)}㎡，实际{_m2(built_area)}㎡。"
        return None
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
def area_exception_grant(*, project: RenovationProject, by: User, reason: str) -> AreaException:
    steps.require_role("area_exception", by)
    reason = _text(reason, "请填写面积标准例外的理由。")
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("area_exception", project, by)
        if AreaException.objects.unscoped(HELD_PARENT).filter(project=project).exists():
            raise DomainError("该项目已有面积标准例外。")
        exception = AreaException.objects.create(project=project, reason=reason, granted_by=by)
        save_versioned(project)
    return exception


@attributed
def project_accept(
    *,
    project: RenovationProject,
    by: User,
    accepted_on: dt.date,
    participants: str,
    evaluation_passed: bool | None,
    evaluation_form,
    built_area: Decimal | None,
    parties: Sequence[str] = (),
    today: dt.date | None = None,
) -> Acceptance:
    steps.require_role("accept", by)
    _date(accepted_on, "验收日期", today)
    parties = _four_parties(parties)
    participants = _text(participants, "请填写参加验收的人员（乡镇、村、农户、工匠）。")
    if evaluation_passed is None:
        raise DomainError("请填写基本安全评定结果。")
    if not evaluation_passed:
        raise DomainError("基本安全评定不合格，不能通过验收；请整改后重新评定。")
    if built_area is None or Decimal(built_area) <= 0:
        raise DomainError("请填写建筑面积。")
    info = _validate_file(evaluation_form, allowed=DOCUMENT_TYPES, label="基本安全评定表")
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        if project.status == S.UNDER_CONSTRUCTION or project.completed_on is None:
            raise DomainError("项目尚未登记竣工，不能验收。")
        steps.require("accept", project, by)
        _not_before(accepted_on, project.completed_on, "验收日期", "竣工日期")
        if not project.quality_checks.exists():
            raise DomainError("该项目还没有质量检查记录，不能验收。")
        if open_quality_problems(project):
            raise DomainError("质量检查发现的问题尚未整改复查合格，不能验收。")
        violation = area_violation(project, built_area)
        if (
            violation
            and not AreaException.objects.unscoped(HELD_PARENT).filter(project=project).exists()
        ):
            raise DomainError(
                f"建筑面积不符合面积标准：{violation}如确有正当理由，须由县住建局录入面积标准例外。"
            )
        acceptance = Acceptance(
            project=project,
            accepted_on=accepted_on,
            parties=parties,
            participants=participants,
            evaluation_passed=True,
            evaluation_content_type=info.content_type,
            built_area=Decimal(built_area),
            recorded_by=by,
        )
        store_upload(acceptance, "evaluation_form", evaluation_form, info, stored)
        acceptance.save()
        _move(project, S.ACCEPTED, accepted_on=accepted_on, built_area=Decimal(built_area))
    return acceptance


def _four_parties(parties: Sequence[str]) -> list[str]:
    """Document 003: the township, the village, the household and the craftsman or
    contractor take part in the acceptance; each is checked, not written as free text."""
    chosen = [p for p in AcceptanceParty.values if p in set(parties or ())]
    unknown = set(parties or ()) - set(AcceptanceParty.values)
    if unknown:
        raise DomainError("参加验收的各方无效。")
    missing = [AcceptanceParty(p).label for p in AcceptanceParty.values if p not in chosen]
    if missing:
        raise DomainError(
            "竣工验收须由乡镇、村、农户和工匠或施工方共同参加，缺少：" + "、".join(missing) + "。"
        )
    return chosen


@attributed
def project_accept_failed(
    *,
    project: RenovationProject,
    by: User,
    inspected_on: dt.date,
    participants: str,
    reasons: str,
    to_fix: str,
    parties: Sequence[str] = (),
    today: dt.date | None = None,
) -> FailedAcceptance:
    """The acceptance did not pass: recorded with its reasons and what to fix; the project
    returns to construction and is completed and accepted again later."""
    steps.require_role("accept_failed", by)
    _date(inspected_on, "验收日期", today)
    parties = _four_parties(parties)
    participants = _text(participants, "请填写参加验收的人员。")
    reasons = _text(reasons, "请填写验收未通过的原因。")
    to_fix = _text(to_fix, "请填写整改要求。")
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("accept_failed", project, by)
        _not_before(inspected_on, project.completed_on, "验收日期", "竣工日期")
        failed = FailedAcceptance.objects.create(
            project=project,
            inspected_on=inspected_on,
            parties=parties,
            participants=participants,
            reasons=reasons,
            to_fix=to_fix,
            recorded_by=by,
        )
        _move(project, S.UNDER_CONSTRUCTION, completed_on=None)
    return failed


# --- 12. demolition, 13. close-out -----------------------------------------------------


@attributed
def demolition_record(
    *,
    project: RenovationProject,
    by: User,
    demolished_on: dt.date,
    photo,
    today: dt.date | None = None,
) -> Demolition:
    steps.require_role("demolition", by)
    _date(demolished_on, "拆除日期", today)
    info = _validate_file(photo, allowed=IMAGE_TYPES, label="拆除照片")
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        steps.require("demolition", project, by)
        demolition = Demolition(
            project=project,
            demolished_on=demolished_on,
            content_type=info.content_type,
            recorded_by=by,
        )
        store_upload(demolition, "photo", photo, info, stored)
        demolition.save()
        save_versioned(project)
    return demolition


@attributed
def demolition_not_applicable(
    *, project: RenovationProject, by: User, reason: str
) -> RenovationProject:
    steps.require_role("no_demolition", by)
    reason = _text(reason, "请填写无需拆除旧房的理由。")
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("no_demolition", project, by)
        return save_versioned(project, demolition_not_applicable_reason=reason)


@attributed
def project_move_in(
    *,
    project: RenovationProject,
    by: User,
    moved_in_on: dt.date,
    today: dt.date | None = None,
) -> RenovationProject:
    """入住: the household moved in, after passing acceptance; the old house's demolition is
    counted from this date (alert and self-check)."""
    with _dated_step(
        "move_in",
        project,
        by,
        today,
        moved_in_on,
        "入住日期",
        after=("accepted_on", "竣工验收日期"),
    ) as project:
        return save_versioned(project, moved_in_on=moved_in_on)


@attributed
def project_close(
    *, project: RenovationProject, by: User, closed_on: dt.date, today: dt.date | None = None
) -> RenovationProject:
    """销号: 改造一户、销档一户. Also takes the household off the dangerous-house ledger."""

    with _dated_step(
        "close", project, by, today, closed_on, "销号日期", after=("accepted_on", "验收日期")
    ) as project:
        acceptance = Acceptance.objects.unscoped(HELD_PARENT).get(project=project)
        if acceptance.recorded_by_id == by.pk:
            raise DomainError("验收录入人不能为同一项目销号。")
        has_demolition = Demolition.objects.unscoped(HELD_PARENT).filter(project=project).exists()
        if not has_demolition and not project.demolition_not_applicable_reason:
            raise DomainError(
                "旧房尚未登记拆除（需拆除日期和照片），也没有无需拆除的理由，不能销号。"
            )
        project = _move(project, S.CLOSED, closed_on=closed_on, closed_by=by)
        # The house is safe from the close-out (its acceptance's 基本安全评定): off the
        # dangerous-house ledger until an appraisal after this date says otherwise.
        safety_state_record(
            household=project.household,
            level=StateLevel.SAFE,
            on=closed_on,
            source=StateSource.CLOSEOUT,
            project_id=project.pk,
            note=f"{project.year}年危房改造已验收销号",
        )
    return project


@attributed
def project_end(
    *,
    project: RenovationProject,
    by: User,
    status: str,
    reason: str,
    ended_on: dt.date | None = None,
    today: dt.date | None = None,
) -> RenovationProject:
    """Declined (solved another way), rejected or withdrawn, always with a reason."""
    steps.require_role("end", by)
    if status not in ENDED:
        raise DomainError("请选择终止方式（农户放弃、审核未通过或撤回）。")
    reason = _text(reason, "请填写理由。")
    ended_on = _date(ended_on or _today(today), "日期", today)
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("end", project, by)
        return _move(project, status, end_reason=reason, ended_on=ended_on, ended_by=by)
