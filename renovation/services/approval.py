"""Three-level publicity and objections, approval (one and in batch) and the amount
override: DOMAIN.md "Renovation" steps 5–6."""

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
from core.errors import DomainError
from core.locking import lock_all_for_update, lock_for_update, save_versioned
from core.rules import require_role
from core.uploads import (
    DOCUMENT_TYPES,
    files_removed_on_error,
    store_upload,
    validate_upload,
)
from renovation import steps
from renovation.models import (
    AmountOverride,
    AreaException,
    Objection,
    OverrideStatus,
    Publicity,
    PublicityLevel,
    RenovationProject,
)
from renovation.services._common import (
    BatchRefused,
    S,
    _date,
    _lock,
    _move,
    _not_before,
    _text,
    _today,
)
from renovation.services.closeout import area_violation
from renovation.services.review import (
    _case,
    _standard_of,
)
from renovation.steps import APPROVE_ROLES, OBJECTION_ROLES
from subsidies.calculator import override_limit
from subsidies.services import paid_total

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
        objection = lock_for_update(
            Objection.objects.unscoped("of the locked project"), objection.pk
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
    return override_limit(**_case(project))


def _paid_so_far(project: RenovationProject) -> Decimal:
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
        pending = lock_all_for_update(
            AmountOverride.objects.unscoped("of the locked project").filter(
                project=project, status=OverrideStatus.PENDING
            )
        )
        if not pending:
            raise DomainError("该项目没有待确认的补助金额调整。")
        [override] = pending
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
