"""整改台账导入: an Excel ledger of document 004's layout, a kind of the one import pipeline
(`core.imports.pipeline`): uploaded and previewed, then written as items (all or none) or
cancelled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.models import User
from core.errors import DomainError
from core.imports import pipeline
from core.imports.pipeline import ImportSpec
from rectification.importer import parse_ledger
from rectification.models import DeadlineKind, LedgerImport, Source
from rectification.services._common import LEDGER_ROLES, _county_of
from rectification.services.items import item_create


@dataclass(frozen=True)
class LedgerPlan:
    """The parsed ledger: its rows and the errors with their row numbers."""

    parsed: dict

    @property
    def counts(self) -> dict[str, int]:
        return {"error": len(self.parsed["errors"])}


def _store_preview(record: LedgerImport, plan: LedgerPlan) -> None:
    record.preview = plan.parsed
    record.row_count = len(plan.parsed["rows"])
    record.error_count = len(plan.parsed["errors"])


def _write(plan: LedgerPlan, *, record: LedgerImport, by: User) -> None:
    for row in plan.parsed["rows"]:
        kind = row["deadline_kind"]
        deadline = dt.date.fromisoformat(row["deadline"]) if row["deadline"] else None
        stages = []
        if kind == DeadlineKind.LONG_TERM and deadline:
            stages = [{"goal": "长期坚持", "due_on": deadline}]
        item_create(
            by=by,
            stages=stages,
            campaign=record.campaign,
            source=record.source,
            problem_type=row["problem_type"],
            title=row["title"],
            findings=row["findings"],
            measures=row["measures"],
            area=record.area,
            deadline_kind=kind,
            deadline=deadline if kind == DeadlineKind.DATE else None,
            responsible_unit=row["responsible_unit"],
            remarks=row["remarks"],
        )


def _clean(fields: dict) -> dict:
    if fields.get("source") not in Source.values:
        raise DomainError("请选择问题来源。")
    return fields


LEDGER = pipeline.register(
    ImportSpec(
        name="rectification_ledger",
        model=LedgerImport,
        roles=LEDGER_ROLES,
        action="导入整改台账（仅限县住建局）",
        parse=lambda data, record: parse_ledger(data),
        plan=lambda parsed, record, *, lock: LedgerPlan(parsed),
        store_preview=_store_preview,
        write=_write,
        default_filename="整改台账.xlsx",
        unit="条",
        # A ledger is corrected in Excel and uploaded again: no "only the valid rows".
        partial=False,
        refused=lambda record, unit: (
            f"台账中有 {record.error_count} 处错误，请在 Excel 中修改后重新上传；"
            "本次未导入任何问题。"
        ),
        area_of=_county_of,
        clean=_clean,
        audit_key="ledger_import",
    )
)


def ledger_import_upload(*, by: User, uploaded, source: str, campaign=None) -> LedgerImport:
    """Parse and keep a preview; nothing is written to the ledger yet."""
    return pipeline.upload(LEDGER, by=by, uploaded=uploaded, source=source, campaign=campaign)


def ledger_import_apply(*, ledger_import: LedgerImport, by: User) -> LedgerImport:
    """Write every previewed row as an item, or none of them."""
    return pipeline.confirm(LEDGER, ledger_import, by=by)


def ledger_import_cancel(*, ledger_import: LedgerImport, by: User) -> LedgerImport:
    return pipeline.cancel(LEDGER, ledger_import, by=by)
