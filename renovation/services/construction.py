"""Notification letter, commitment, construction start, photos, quality checks and
completion: DOMAIN.md "Renovation" steps 7–10."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from accounts.models import User
from accounts.scoping import HELD_PARENT
from core.audit import attributed
from core.errors import DomainError
from core.locking import save_versioned
from core.offline import already_stored
from core.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    files_removed_on_error,
    save_photos,
    store_upload,
    validate_upload,
)
from renovation import steps
from renovation.models import (
    BuilderKind,
    BuildMode,
    CheckResult,
    Commitment,
    PhotoStage,
    ProjectPhoto,
    QualityCheck,
    RenovationProject,
)
from renovation.services._common import (
    MAX_PHOTOS,
    S,
    _date,
    _dated_step,
    _lock,
    _move,
    _not_before,
    _text,
    _validate_file,
)

# --- 7. notification letter and commitment ---------------------------------------------


def default_completion_due(year: int) -> dt.date:
    return dt.date(year, 7, 31)  # completion by 31 July in principle (DOMAIN.md step 10)


@attributed
def project_notify(
    *,
    project: RenovationProject,
    by: User,
    notified_on: dt.date,
    completion_due: dt.date | None = None,
    today: dt.date | None = None,
) -> RenovationProject:
    with _dated_step(
        "notify", project, by, today, notified_on, "函告日期", after=("approved_on", "批准日期")
    ) as project:
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
    by: User,
    signed_on: dt.date | None,
    file=None,
    today: dt.date | None = None,
) -> Commitment:
    steps.require_role("commitment", by)
    if signed_on is None:
        raise DomainError("承诺书必须填写签署日期。")
    _date(signed_on, "承诺书签署日期", today)
    info = _validate_file(file, allowed=DOCUMENT_TYPES, label="承诺书扫描件", required=False)
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        steps.require("commitment", project, by)
        if Commitment.objects.unscoped(HELD_PARENT).filter(project=project).exists():
            raise DomainError("该项目已录入承诺书。")
        _not_before(signed_on, project.notified_on, "承诺书签署日期", "函告日期")
        commitment = Commitment(project=project, signed_on=signed_on, recorded_by=by)
        if info:
            commitment.content_type = info.content_type
            store_upload(commitment, "file", file, info, stored)
        commitment.save()
        save_versioned(project)
    return commitment


# --- 8. construction, photos, 9. quality checks, 10. completion -------------------------


@attributed
def construction_start(
    *,
    project: RenovationProject,
    by: User,
    started_on: dt.date,
    build_mode: str,
    builder_kind: str,
    builder_name: str,
    today: dt.date | None = None,
) -> RenovationProject:
    steps.require_role("start", by)
    _date(started_on, "开工日期", today)
    if build_mode not in BuildMode.values:
        raise DomainError("请选择建设方式（自建或统建）。")
    if builder_kind not in BuilderKind.values:
        raise DomainError("请选择施工方（农村建筑工匠或施工企业）。")
    builder_name = _text(builder_name, "请填写工匠或施工企业名称。")
    with transaction.atomic():
        project = _lock(project, by)
        steps.require("start", project, by)
        commitment = Commitment.objects.unscoped(HELD_PARENT).filter(project=project).first()
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
    *, project: RenovationProject, by: User, stage: str, files: Sequence
) -> list[ProjectPhoto]:
    steps.require_role("photos", by)
    if stage not in PhotoStage.values:
        raise DomainError("请选择照片阶段（改造前、改造中、改造后）。")
    files = [f for f in files or () if f]
    if not files:
        raise DomainError("请选择要上传的照片。")
    if len(files) > MAX_PHOTOS:
        raise DomainError(f"每次最多上传 {MAX_PHOTOS} 张照片。")
    validated = [(f, validate_upload(f, allowed=IMAGE_TYPES, label="照片")) for f in files]
    with transaction.atomic(), files_removed_on_error() as stored:
        project = _lock(project, by)
        steps.require("photos", project, by)
        photos = save_photos(
            ProjectPhoto, validated, stored, project=project, stage=stage, uploaded_by=by
        )
        save_versioned(project)
    return photos


@attributed
def quality_check_record(
    *,
    project: RenovationProject,
    by: User,
    checked_on: dt.date,
    inspector: str,
    result: str,
    problems: str = "",
    recheck_of: QualityCheck | None = None,
    client_id=None,
    today: dt.date | None = None,
) -> QualityCheck:
    steps.require_role("quality_check", by)
    _date(checked_on, "检查日期", today)
    inspector = _text(inspector, "请填写检查人。")
    if result not in CheckResult.values:
        raise DomainError("请选择检查结果。")
    problems = (problems or "").strip()
    if result == CheckResult.PROBLEMS and not problems:
        raise DomainError("发现问题时请写明问题。")
    with transaction.atomic():
        project = _lock(project, by)
        stored_before = already_stored(
            QualityCheck.objects.unscoped("an offline entry sent again"), client_id, project=project
        )
        if stored_before is not None:
            return stored_before
        steps.require("quality_check", project, by)
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
            client_id=client_id,
        )
        save_versioned(project)
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
    *, project: RenovationProject, by: User, completed_on: dt.date, today: dt.date | None = None
) -> RenovationProject:
    with _dated_step(
        "complete", project, by, today, completed_on, "竣工日期", after=("started_on", "开工日期")
    ) as project:
        return _move(project, S.COMPLETED, completed_on=completed_on)
