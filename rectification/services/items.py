"""整改台账 items: entry and edit, progress notes and stages, submission, close-out (销号),
reopening.

"Fake rectification" (虚假整改) is what the close-out guards against: an item is closed only
with evidence on file and by a county verifier who is not the one who submitted it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, User
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import require_role
from core.uploads import files_removed_on_error, store_upload
from households.models import Household
from rectification import steps
from rectification.models import (
    DeadlineKind,
    Evidence,
    ItemStatus,
    ProblemType,
    ProgressNote,
    RectificationItem,
    RectificationStage,
    Source,
)
from rectification.services._common import (
    CLOSE_BY_OTHER,
    CLOSE_NEEDS_EVIDENCE,
    ITEM_FIELDS,
    LEDGER_ROLES,
    LONG_TERM_NEEDS_STAGE,
    NOT_IN_AREA,
    _in_scope,
    _validate_files,
)


def _lock_item(item: RectificationItem, by: User) -> RectificationItem:
    """The item row of `by`'s area, locked for this transaction (core.locking: NOWAIT)."""
    return lock_for_update(
        RectificationItem.objects.visible_to(by), item.pk, related=("area",), missing=NOT_IN_AREA
    )


def _work_started(locked: RectificationItem) -> None:
    """open → in_progress, when the item is started or gets its first progress note."""
    if locked.status == ItemStatus.OPEN:
        locked.status = ItemStatus.IN_PROGRESS
        locked.save(update_fields=["status", "updated_at"])


def _validate_item_fields(by: User, fields: dict, households: Sequence[Household] | None) -> None:
    if not (fields.get("title") or "").strip():
        raise DomainError("请填写具体问题。")
    if fields.get("problem_type") not in ProblemType.values:
        raise DomainError("请选择问题类型（政策落实方面或工作落实方面）。")
    if fields.get("source") not in Source.values:
        raise DomainError("请选择问题来源。")
    if fields["source"] in (Source.CITY_SPOT_CHECK, Source.PROVINCE_SPOT_CHECK):
        raise DomainError("市级、省级抽查发现的问题由抽查单位在抽查中登记，这里不能选择该来源。")
    if not (fields.get("responsible_unit") or "").strip():
        raise DomainError("请填写责任单位。")
    kind = fields.get("deadline_kind") or DeadlineKind.DATE
    if kind not in DeadlineKind.values:
        raise DomainError("请选择整改时限类型。")
    if kind == DeadlineKind.DATE and not fields.get("deadline"):
        raise DomainError("限期整改的问题须填写整改期限。")
    area: Area | None = fields.get("area")
    if area is None or not _in_scope(by, area.code):
        raise DomainError("请选择您管辖范围内的涉及区划。")
    campaign = fields.get("campaign")
    if campaign is not None and not campaign.area.code.startswith(area.code[:6]):
        raise DomainError("整改批次不属于该县。")
    for household in households or ():
        if not household.village_id.startswith(area.prefix):
            raise DomainError(f"农户“{household.head_name}”不在所选区划“{area.name}”内。")


def _save_stages(item: RectificationItem, stages: Iterable[dict]) -> None:
    item.stages.all().delete()
    for stage in stages:
        if not (stage.get("goal") or "").strip() or not stage.get("due_on"):
            raise DomainError("每个阶段目标须填写目标内容和完成期限。")
        RectificationStage.objects.create(
            item=item,
            goal=stage["goal"].strip(),
            due_on=stage["due_on"],
            done_on=stage.get("done_on"),
        )


@attributed
def item_create(
    *,
    by: User,
    households: Sequence[Household] = (),
    stages: Iterable[dict] = (),
    **fields,
) -> RectificationItem:
    require_role(by, LEDGER_ROLES, "录入整改问题（仅限县住建局）")
    fields = {k: v for k, v in fields.items() if k in ITEM_FIELDS}
    fields.setdefault("deadline_kind", DeadlineKind.DATE)
    households = list(households)
    _validate_item_fields(by, fields, households)
    if fields["deadline_kind"] != DeadlineKind.DATE:
        fields["deadline"] = None
    stages = list(stages or ())
    if fields["deadline_kind"] == DeadlineKind.LONG_TERM and not stages:
        raise DomainError(LONG_TERM_NEEDS_STAGE)
    with transaction.atomic():
        item = RectificationItem.objects.create(created_by=by, **fields)
        item.households.set(households)
        if fields["deadline_kind"] == DeadlineKind.LONG_TERM:
            _save_stages(item, stages)
    return item


@attributed
def item_update(
    *,
    item: RectificationItem,
    by: User,
    households: Sequence[Household] | None = None,
    stages: Iterable[dict] | None = None,
    **fields,
) -> RectificationItem:
    require_role(by, LEDGER_ROLES, "修改整改问题（仅限县住建局）")
    stages = None if stages is None else list(stages)
    with transaction.atomic():
        locked = _lock_item(item, by)
        steps.require("edit", locked, by)
        merged = {name: getattr(locked, name) for name in ITEM_FIELDS}
        merged.update({k: v for k, v in fields.items() if k in ITEM_FIELDS})
        current = list(locked.households.all()) if households is None else list(households)
        _validate_item_fields(by, merged, current)
        if merged["deadline_kind"] != DeadlineKind.DATE:
            merged["deadline"] = None
        if merged["deadline_kind"] == DeadlineKind.LONG_TERM and (
            not stages if stages is not None else not locked.stages.exists()
        ):
            raise DomainError(LONG_TERM_NEEDS_STAGE)
        for name, value in merged.items():
            setattr(locked, name, value)
        locked.save()
        if households is not None:
            locked.households.set(households)
        if merged["deadline_kind"] != DeadlineKind.LONG_TERM:
            locked.stages.all().delete()
        elif stages is not None:
            _save_stages(locked, stages)
    return locked


@attributed
def item_start(*, item: RectificationItem, by: User) -> RectificationItem:
    """open → in_progress."""
    with transaction.atomic():
        locked = _lock_item(item, by)
        steps.require("start", locked, by)
        _work_started(locked)
    return locked


@attributed
def note_add(
    *, item: RectificationItem, by: User, content: str, files: Sequence = ()
) -> ProgressNote:
    """A progress note with evidence files; an open item is then in progress."""
    content = (content or "").strip()
    if not content:
        raise DomainError("请填写整改进展。")
    validated = _validate_files(files)
    with transaction.atomic(), files_removed_on_error() as stored:
        locked = _lock_item(item, by)
        steps.require("note", locked, by)
        note = ProgressNote.objects.create(item=locked, content=content, created_by=by)
        for upload, info in validated:
            evidence = Evidence(
                item=locked,
                note=note,
                uploaded_by=by,
                original_name=(getattr(upload, "name", "") or "")[:200],
                content_type=info.content_type,
                size=info.size,
            )
            store_upload(evidence, "file", upload, info, stored)
            evidence.save()
        _work_started(locked)
    return note


@attributed
def stage_mark_done(
    *, stage: RectificationStage, by: User, done_on: dt.date | None = None
) -> RectificationStage:
    with transaction.atomic():
        locked_item = _lock_item(stage.item, by)
        steps.require("stage", locked_item, by)
        stage = lock_for_update(RectificationStage.objects.unscoped("of the locked item"), stage.pk)
        done_on = done_on or timezone.localdate()
        if done_on > timezone.localdate():
            raise DomainError("完成日期不能晚于今天。")
        stage.done_on = done_on
        stage.save(update_fields=["done_on"])
    return stage


@attributed
def item_submit(*, item: RectificationItem, by: User, note: str = "") -> RectificationItem:
    """in_progress → submitted: the work is done, someone else is to verify it."""
    with transaction.atomic():
        locked = _lock_item(item, by)
        steps.require("submit", locked, by)
        locked.status = ItemStatus.SUBMITTED
        locked.submitted_by = by
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
        if note.strip():
            ProgressNote.objects.create(
                item=locked, content=f"提交核验：{note.strip()}", created_by=by
            )
    return locked


@attributed
def item_close(
    *, item: RectificationItem, by: User, note: str = "", closed_on: dt.date | None = None
) -> RectificationItem:
    """submitted → closed (销号), verified by a county user other than the submitter."""
    with transaction.atomic():
        locked = _lock_item(item, by)
        steps.require("close", locked, by)
        if locked.submitted_by_id == by.pk:
            raise DomainError(CLOSE_BY_OTHER)
        if not locked.evidence.exists():
            raise DomainError(CLOSE_NEEDS_EVIDENCE)
        closed_on = closed_on or timezone.localdate()
        if closed_on > timezone.localdate():
            raise DomainError("销号日期不能晚于今天。")
        locked.status = ItemStatus.CLOSED
        locked.closed_by = by
        locked.closed_on = closed_on
        locked.close_note = note.strip()
        locked.save(update_fields=["status", "closed_by", "closed_on", "close_note", "updated_at"])
    return locked


@attributed
def item_reopen(*, item: RectificationItem, by: User, reason: str) -> RectificationItem:
    """submitted or closed → in_progress: the verifier sends it back (or a closed one recurs)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写退回（重新打开）的理由。")
    with transaction.atomic():
        locked = _lock_item(item, by)
        steps.require("reopen", locked, by)
        label = "重新打开" if locked.status == ItemStatus.CLOSED else "退回"
        locked.status = ItemStatus.IN_PROGRESS
        locked.submitted_by = None
        locked.submitted_at = None
        locked.closed_by = None
        locked.closed_on = None
        locked.close_note = ""
        locked.reopen_count += 1
        locked.save()
        ProgressNote.objects.create(item=locked, content=f"{label}：{reason}", created_by=by)
    return locked
