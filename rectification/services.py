"""Every write of the rectification ledger: items, progress, close-out, campaigns, complaints.

"Fake rectification" (虚假整改) is the sin this module guards against: an item is closed (销号)
only with evidence on file and by a county verifier who is not the one who submitted it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, AreaLevel, Role, User
from accounts.scoping import area_prefix
from accounts.services import county_of
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import require_role
from core.uploads import DOCUMENT_TYPES, files_removed_on_error, store_upload, validate_upload
from households.models import Household
from rectification import steps
from rectification.models import (
    Complaint,
    ComplaintChannel,
    DeadlineKind,
    Evidence,
    ImportStatus,
    ItemStatus,
    LedgerImport,
    ProblemType,
    ProgressNote,
    RectificationCampaign,
    RectificationItem,
    RectificationStage,
    Source,
)
from rectification.steps import (  # noqa: F401 - re-exported: services.LEDGER_ROLES
    CLOSE_ROLES,
    LEDGER_ROLES,
    NOT_IN_AREA,
    PROGRESS_ROLES,
    VERIFY_ROLES,
)

COMPLAINT_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})
SELFCHECK_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER})

MAX_FILES = 20
LONG_TERM_NEEDS_STAGE = "长期坚持的问题请至少填写一个阶段目标。"
CLOSE_BY_OTHER = "销号须由提交人以外的人员核验"
CLOSE_NEEDS_EVIDENCE = "销号前须上传整改佐证材料"

ITEM_FIELDS = (
    "campaign",
    "source",
    "problem_type",
    "sub_type",
    "title",
    "findings",
    "area",
    "measures",
    "deadline_kind",
    "deadline",
    "responsible_unit",
    "first_responsible",
    "direct_responsible",
    "remarks",
)


def _in_scope(by: User, code: str) -> bool:
    prefix = area_prefix(by)
    return prefix is not None and code.startswith(prefix)


def _lock_item(item: RectificationItem, by: User) -> RectificationItem:
    """The item row of `by`'s area, locked for this transaction (core.locking: NOWAIT)."""
    return lock_for_update(
        RectificationItem.objects.visible_to(by), item.pk, related=("area",), missing=NOT_IN_AREA
    )


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


def _validate_files(files: Iterable) -> list:
    files = [f for f in files or () if f]
    if len(files) > MAX_FILES:
        raise DomainError(f"每次最多上传 {MAX_FILES} 个佐证材料。")
    return [(f, validate_upload(f, allowed=DOCUMENT_TYPES, label="佐证材料")) for f in files]


@attributed
def item_start(*, item: RectificationItem, by: User) -> RectificationItem:
    """open → in_progress."""
    with transaction.atomic():
        locked = _lock_item(item, by)
        steps.require("start", locked, by)
        locked.status = ItemStatus.IN_PROGRESS
        locked.save(update_fields=["status", "updated_at"])
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
        if locked.status == ItemStatus.OPEN:
            locked.status = ItemStatus.IN_PROGRESS
            locked.save(update_fields=["status", "updated_at"])
    return note


@attributed
def stage_mark_done(
    *, stage: RectificationStage, by: User, done_on: dt.date | None = None
) -> RectificationStage:
    with transaction.atomic():
        locked_item = _lock_item(stage.item, by)
        steps.require("stage", locked_item, by)
        stage = (
            RectificationStage.objects.unscoped("of the locked item")
            .select_for_update()
            .get(pk=stage.pk)
        )
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


# --- campaigns --------------------------------------------------------------------------


_county_of = county_of


@attributed
def campaign_create(
    *,
    by: User,
    name: str,
    source: str,
    plan_and_ledger_due: dt.date | None = None,
    report_due: dt.date | None = None,
    note: str = "",
) -> RectificationCampaign:
    require_role(by, LEDGER_ROLES, "创建整改批次（仅限县住建局）")
    if not (name or "").strip():
        raise DomainError("请填写批次名称。")
    if source not in Source.values:
        raise DomainError("请选择问题来源。")
    return RectificationCampaign.objects.create(
        name=name.strip(),
        source=source,
        area=_county_of(by),
        plan_and_ledger_due=plan_and_ledger_due,
        report_due=report_due,
        note=note,
        created_by=by,
    )


@attributed
def campaign_update(
    *, campaign: RectificationCampaign, by: User, **fields
) -> RectificationCampaign:
    require_role(by, LEDGER_ROLES, "修改整改批次（仅限县住建局）")
    with transaction.atomic():
        locked = (
            RectificationCampaign.objects.visible_to(by)
            .select_for_update()
            .filter(pk=campaign.pk)
            .first()
        )
        if locked is None:
            raise DomainError("该整改批次不在您的管辖区划内。")
        for name in ("name", "source", "plan_and_ledger_due", "report_due", "note"):
            if name in fields:
                setattr(locked, name, fields[name])
        if not locked.name.strip():
            raise DomainError("请填写批次名称。")
        locked.save()
    return locked


# --- complaints (群众反映) ------------------------------------------------------------------


def _lock_complaint(complaint: Complaint, by: User) -> Complaint:
    return lock_for_update(
        Complaint.objects.visible_to(by), complaint.pk, missing="该群众反映不在您的管辖区划内。"
    )


@attributed
def complaint_create(
    *,
    by: User,
    area: Area,
    channel: str,
    received_on: dt.date,
    content: str,
    contact: str = "",
    handler: str = "",
) -> Complaint:
    require_role(by, COMPLAINT_ROLES, "登记群众反映")
    if area is None or not _in_scope(by, area.code):
        raise DomainError("请选择您管辖范围内的区划。")
    if channel not in ComplaintChannel.values:
        raise DomainError("请选择反映渠道。")
    if not (content or "").strip():
        raise DomainError("请填写反映内容。")
    if received_on is None or received_on > timezone.localdate():
        raise DomainError("受理日期不能为空，也不能晚于今天。")
    return Complaint.objects.create(
        area=area,
        channel=channel,
        received_on=received_on,
        contact=contact,
        content=content.strip(),
        handler=handler,
        created_by=by,
    )


@attributed
def complaint_update(*, complaint: Complaint, by: User, **fields) -> Complaint:
    """Record the handler and the reply; `closed=True` closes it (办结) on `closed_on` or today."""
    require_role(by, COMPLAINT_ROLES, "办理群众反映")
    with transaction.atomic():
        locked = _lock_complaint(complaint, by)
        if locked.closed and fields.get("closed", True):
            raise DomainError("该群众反映已办结，不能再修改。")
        for name in ("channel", "contact", "content", "handler", "reply"):
            if name in fields and fields[name] is not None:
                setattr(locked, name, fields[name])
        if fields.get("closed"):
            if not locked.reply.strip():
                raise DomainError("办结前须填写答复情况。")
            locked.closed = True
            locked.closed_on = fields.get("closed_on") or timezone.localdate()
        elif fields.get("closed") is False:
            locked.closed = False
            locked.closed_on = None
        locked.save()
    return locked


@attributed
def complaint_convert(*, complaint: Complaint, by: User, **overrides) -> RectificationItem:
    """One click: the complaint becomes a ledger item (source 群众反映), linked back."""
    require_role(by, LEDGER_ROLES, "将群众反映转入整改台账（仅限县住建局）")
    with transaction.atomic():
        locked = _lock_complaint(complaint, by)
        if locked.item_id:
            raise DomainError("该群众反映已转入整改台账。")
        content = locked.content.strip()
        fields = {
            "source": Source.PUBLIC,
            "problem_type": ProblemType.WORK,
            "title": (content.splitlines()[0] if content else "群众反映问题")[:100],
            "findings": (
                f"{locked.received_on.year}年{locked.received_on.month}月"
                f"{locked.received_on.day}日群众通过{locked.get_channel_display()}反映：{content}"
            ),
            "area": locked.area,
            "deadline_kind": DeadlineKind.IMMEDIATE,
            "responsible_unit": (
                locked.area.name if locked.area.level != AreaLevel.COUNTY else "县住房和城乡建设局"
            ),
        }
        fields.update({k: v for k, v in overrides.items() if k in ITEM_FIELDS and v})
        item = item_create(by=by, **fields)
        locked.item = item
        locked.save(update_fields=["item"])
    return item


# --- self-check findings ----------------------------------------------------------------


@attributed
def selfcheck_run(*, by: User, today: dt.date | None = None):
    """Run every registered rule over the user's county (on demand)."""
    from rectification import selfcheck

    require_role(by, SELFCHECK_ROLES, "运行自查（仅限县级）")
    prefix = area_prefix(by)
    if prefix is None:
        raise DomainError("您的账号尚未分配区划。")
    return selfcheck.run(prefix=prefix[:6] if prefix else "", today=today)


@attributed
def finding_dismiss(*, finding, by: User, reason: str):
    from rectification.models import FindingStatus, SelfCheckFinding

    require_role(by, LEDGER_ROLES, "排除自查发现（仅限县住建局）")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写排除理由。")
    with transaction.atomic():
        locked = (
            SelfCheckFinding.objects.visible_to(by)
            .select_for_update()
            .filter(pk=finding.pk)
            .first()
        )
        if locked is None:
            raise DomainError("该自查发现不在您的管辖区划内。")
        if locked.status != FindingStatus.OPEN:
            raise DomainError(f"该自查发现当前为“{locked.get_status_display()}”，不能排除。")
        locked.status = FindingStatus.DISMISSED
        locked.dismissed_reason = reason
        locked.dismissed_by = by
        locked.dismissed_at = timezone.now()
        locked.save()
    return locked


def _common_area(codes: Iterable[str]) -> Area:
    """The smallest area containing every code (village → township → county)."""
    codes = list(codes)
    for length, suffix in ((12, ""), (9, "000"), (6, "000000")):
        heads = {c[:length] for c in codes}
        if len(heads) == 1:
            return Area.objects.get(pk=heads.pop() + suffix)
    raise DomainError("自查发现涉及多个县，不能合并为一个整改问题。")


@attributed
def findings_convert(*, rule: str, by: User, deadline: dt.date | None = None, **overrides):
    """One click: every open finding of `rule` in the user's area becomes one ledger item."""
    from rectification.models import FindingStatus, SelfCheckFinding
    from rectification.selfcheck import RULES

    require_role(by, LEDGER_ROLES, "将自查发现转入整改台账（仅限县住建局）")
    if rule not in RULES:
        raise DomainError("未知的自查规则。")
    definition = RULES[rule]
    with transaction.atomic():
        findings = list(
            SelfCheckFinding.objects.visible_to(by)
            .select_for_update()
            .filter(rule=rule, status=FindingStatus.OPEN)
            .order_by("area_id", "id")
        )
        if not findings:
            raise DomainError("该规则没有待处理的自查发现。")
        households = list(
            Household.objects.visible_to(by).filter(
                pk__in=[h for f in findings for h in f.households.values_list("pk", flat=True)]
            )
        )
        area = _common_area(f.area_id for f in findings)
        messages = "\n".join(f"{n}. {f.message}" for n, f in enumerate(findings, start=1))
        fields = {
            "source": Source.SELF_CHECK,
            "problem_type": definition.problem_type,
            "sub_type": definition.label,
            "title": definition.title,
            "findings": f"系统自查发现{len(findings)}处：\n{messages}",
            "area": area,
            "deadline_kind": DeadlineKind.DATE if deadline else DeadlineKind.IMMEDIATE,
            "deadline": deadline,
            "responsible_unit": area.name
            if area.level != AreaLevel.COUNTY
            else "县住房和城乡建设局",
        }
        fields.update({k: v for k, v in overrides.items() if k in ITEM_FIELDS and v})
        item = item_create(by=by, households=households, **fields)
        SelfCheckFinding.objects.visible_to(by).filter(pk__in=[f.pk for f in findings]).update(
            status=FindingStatus.CONVERTED, item=item
        )
    return item


# --- ledger import ----------------------------------------------------------------------


@attributed
def ledger_import_upload(*, by: User, uploaded, source: str, campaign=None) -> LedgerImport:
    """Parse and keep a preview; nothing is written to the ledger yet."""
    require_role(by, LEDGER_ROLES, "导入整改台账（仅限县住建局）")
    if source not in Source.values:
        raise DomainError("请选择问题来源。")
    from core.imports.files import read_upload
    from rectification.importer import parse_ledger

    parsed = parse_ledger(read_upload(uploaded))
    return LedgerImport.objects.create(
        filename=(getattr(uploaded, "name", "") or "ledger.xlsx")[:255],
        area=_county_of(by),
        campaign=campaign,
        source=source,
        preview=parsed,
        row_count=len(parsed["rows"]),
        error_count=len(parsed["errors"]),
        created_by=by,
    )


@attributed
def ledger_import_apply(*, ledger_import: LedgerImport, by: User) -> list:
    """Write every previewed row as an item, or none of them."""
    require_role(by, LEDGER_ROLES, "导入整改台账（仅限县住建局）")
    with transaction.atomic():
        locked = (
            LedgerImport.objects.visible_to(by)
            .select_for_update()
            .filter(pk=ledger_import.pk)
            .first()
        )
        if locked is None:
            raise DomainError("找不到该导入记录。")
        if locked.status != ImportStatus.PENDING:
            raise DomainError(f"该导入当前为“{locked.get_status_display()}”，不能再次导入。")
        if locked.error_count:
            raise DomainError(
                f"台账中有 {locked.error_count} 处错误，请在 Excel 中修改后重新上传；"
                "本次未导入任何问题。"
            )
        items = []
        for row in locked.preview["rows"]:
            kind = row["deadline_kind"]
            deadline = dt.date.fromisoformat(row["deadline"]) if row["deadline"] else None
            stages = []
            if kind == DeadlineKind.LONG_TERM and deadline:
                stages = [{"goal": "长期坚持", "due_on": deadline}]
            items.append(
                item_create(
                    by=by,
                    stages=stages,
                    campaign=locked.campaign,
                    source=locked.source,
                    problem_type=row["problem_type"],
                    title=row["title"],
                    findings=row["findings"],
                    measures=row["measures"],
                    area=locked.area,
                    deadline_kind=kind,
                    deadline=deadline if kind == DeadlineKind.DATE else None,
                    responsible_unit=row["responsible_unit"],
                    remarks=row["remarks"],
                )
            )
        locked.status = ImportStatus.APPLIED
        locked.applied_at = timezone.now()
        locked.save(update_fields=["status", "applied_at"])
    return items


@attributed
def ledger_import_cancel(*, ledger_import: LedgerImport, by: User) -> LedgerImport:
    with transaction.atomic():
        locked = (
            LedgerImport.objects.visible_to(by)
            .select_for_update()
            .filter(pk=ledger_import.pk)
            .first()
        )
        if locked is None:
            raise DomainError("找不到该导入记录。")
        if locked.status != ImportStatus.PENDING:
            raise DomainError(f"该导入当前为“{locked.get_status_display()}”，不能取消。")
        locked.status = ImportStatus.CANCELLED
        locked.save(update_fields=["status"])
    return locked
