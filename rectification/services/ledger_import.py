"""整改台账导入: an Excel ledger uploaded and previewed, then applied as items (all or none) or
cancelled."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.audit import attributed
from core.errors import DomainError
from core.imports.files import read_upload
from core.rules import require_role
from rectification.importer import parse_ledger
from rectification.models import DeadlineKind, ImportStatus, LedgerImport, Source
from rectification.services._common import LEDGER_ROLES, _county_of
from rectification.services.items import item_create


@attributed
def ledger_import_upload(*, by: User, uploaded, source: str, campaign=None) -> LedgerImport:
    """Parse and keep a preview; nothing is written to the ledger yet."""
    require_role(by, LEDGER_ROLES, "导入整改台账（仅限县住建局）")
    if source not in Source.values:
        raise DomainError("请选择问题来源。")

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
