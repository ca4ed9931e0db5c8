"""整改批次: the campaigns (one inspection or audit round) that items belong to."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import User
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_for_update
from core.rules import require_role
from rectification.models import RectificationCampaign, Source
from rectification.services._common import LEDGER_ROLES, _county_of


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
        locked = lock_for_update(
            RectificationCampaign.objects.visible_to(by),
            campaign.pk,
            missing="该整改批次不在您的管辖区划内。",
        )
        for name in ("name", "source", "plan_and_ledger_due", "report_due", "note"):
            if name in fields:
                setattr(locked, name, fields[name])
        if not locked.name.strip():
            raise DomainError("请填写批次名称。")
        locked.save()
    return locked
