"""群众反映: complaints received from the public, their handling, and their conversion into a
ledger item."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, AreaLevel, Role, User
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import require_role
from rectification.models import (
    Complaint,
    ComplaintChannel,
    DeadlineKind,
    ProblemType,
    RectificationItem,
    Source,
)
from rectification.services._common import ITEM_FIELDS, LEDGER_ROLES, _in_scope
from rectification.services.items import item_create

COMPLAINT_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})


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
