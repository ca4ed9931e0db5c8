"""自查 findings: running the self-check for a county, dismissing a finding, converting a rule's
open findings into one ledger item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, AreaLevel, Role, User
from accounts.scoping import area_prefix
from core.audit import attributed
from core.errors import DomainError
from core.locking import lock_all_for_update, lock_for_update
from core.rules import require_role
from households.models import Household
from rectification import selfcheck
from rectification.models import DeadlineKind, FindingStatus, SelfCheckFinding, Source
from rectification.selfcheck import RULES
from rectification.services._common import ITEM_FIELDS, LEDGER_ROLES
from rectification.services.items import item_create

SELFCHECK_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER})


@attributed
def selfcheck_run(*, by: User, today: dt.date | None = None):
    """Run every registered rule over the user's county (on demand)."""
    require_role(by, SELFCHECK_ROLES, "运行自查（仅限县级）")
    prefix = area_prefix(by)
    if prefix is None:
        raise DomainError("您的账号尚未分配区划。")
    return selfcheck.run(prefix=prefix[:6] if prefix else "", today=today)


@attributed
def finding_dismiss(*, finding, by: User, reason: str):
    require_role(by, LEDGER_ROLES, "排除自查发现（仅限县住建局）")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写排除理由。")
    with transaction.atomic():
        locked = lock_for_update(
            SelfCheckFinding.objects.visible_to(by),
            finding.pk,
            missing="该自查发现不在您的管辖区划内。",
        )
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
    require_role(by, LEDGER_ROLES, "将自查发现转入整改台账（仅限县住建局）")
    if rule not in RULES:
        raise DomainError("未知的自查规则。")
    definition = RULES[rule]
    with transaction.atomic():
        findings = lock_all_for_update(
            SelfCheckFinding.objects.visible_to(by)
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
