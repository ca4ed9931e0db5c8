"""Import of earlier years' renovations and subsidies (历年危房改造记录), through the one
import pipeline (`core.imports.pipeline`, the pages of `core/imports/pages.py`): parse the
whole file, preview every row with its errors, write nothing until confirmed.

One row: 年度, 身份证号, 户主姓名, 改造方式, 补助金额, 竣工日期, 来源. The household must be
in the registry and in the uploader's area. A record is historic and read-only: it feeds the
double-subsidy rule, the re-admission rule, the dangerous-house ledger (as an earlier
renovation) and the household's archive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from core import crypto
from core.imports import pipeline
from core.imports.files import (
    ImportFileError,
    _normalize_header,
    _text,
)
from core.imports.xlsx_reader import Sheet, read_workbook
from core.validators import id_number_error
from households.importer import household_kind
from households.models import Household, HouseholdImport, ImportKind
from inspections.models import SafetyState, StateLevel, StateSource
from subsidies.models import HistoricRenovation

HEADERS = {
    "年度": "year",
    "身份证号": "id_number",
    "户主身份证号": "id_number",
    "户主姓名": "head_name",
    "改造方式": "method",
    "补助金额": "amount",
    "补助金额（元）": "amount",
    "竣工日期": "completed_on",
    "来源": "source",
}
REQUIRED = ("year", "id_number", "method", "amount")
LABELS = {"year": "年度", "id_number": "身份证号", "method": "改造方式", "amount": "补助金额"}
PREVIEW_ROWS = 200


@dataclass
class HistoricRow:
    number: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    id_number: str = ""
    id_hash: str = ""
    household_id: int | None = None
    action: str = ""


@dataclass
class HistoricPlan:
    rows: list[HistoricRow]

    def of(self, action: str) -> list[HistoricRow]:
        return [r for r in self.rows if r.action == action]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts


def parse_workbook(data: bytes) -> list[HistoricRow]:
    return read_workbook(data, _read)


def _read(sheet: Sheet) -> list[HistoricRow]:
    rows_iter = sheet.rows()
    _number, header = next(rows_iter, (0, []))
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = HEADERS.get(_normalize_header(value))
        if key and key not in positions:
            positions[key] = index
    missing = [LABELS[k] for k in REQUIRED if k not in positions]
    if missing:
        raise ImportFileError("表头缺少以下必填列：" + "、".join(missing) + "。")
    rows: list[HistoricRow] = []
    today = timezone.localdate()
    for number, values in rows_iter:
        cells = {k: values[i] if i < len(values) else None for k, i in positions.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue
        if len(rows) >= settings.ANJU_IMPORT_MAX_ROWS:
            raise ImportFileError(
                f"文件超过 {settings.ANJU_IMPORT_MAX_ROWS} 行的上限，请拆分为多个文件分别导入。"
            )
        row = HistoricRow(number=number)
        _clean(row, cells, sheet, today)
        rows.append(row)
    if not rows:
        raise ImportFileError("文件中没有数据行。")
    return rows


def _clean(row: HistoricRow, cells: dict, sheet: Sheet, today: dt.date) -> None:
    missing = [LABELS[k] for k in REQUIRED if _text(cells.get(k)) == ""]
    if missing:
        row.errors.append("缺少必填项：" + "、".join(missing))
    year = _text(cells.get("year")).removesuffix("年").removesuffix(".0")
    if year:
        if year.isdigit() and 1990 <= int(year) <= today.year:
            row.values["year"] = int(year)
        else:
            row.errors.append(f"年度“{year}”无效")
    number = crypto.normalize_number(_text(cells.get("id_number")))
    if number:
        if message := id_number_error(number):
            row.errors.append(message)
        else:
            row.id_number, row.id_hash = number, crypto.search_hash(number)
    row.values["head_name"] = _text(cells.get("head_name"))[:50]
    method = _text(cells.get("method"))
    if method:
        row.values["method"] = method[:20]
    amount = cells.get("amount")
    if _text(amount):
        try:
            value = Decimal(_text(amount).replace(",", "")).quantize(Decimal("0.01"))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not 0 < value < Decimal("1000000"):
            row.errors.append(f"补助金额“{_text(amount)}”无效")
        else:
            row.values["amount"] = value
    completed = cells.get("completed_on")
    if isinstance(completed, int | float) and not isinstance(completed, bool) and completed > 0:
        completed = sheet.excel_date(completed)
    if isinstance(completed, dt.datetime):
        completed = completed.date()
    if isinstance(completed, dt.date):
        if completed > today:
            row.errors.append("竣工日期不能晚于今天")
        else:
            row.values["completed_on"] = completed
    elif _text(completed):
        try:
            row.values["completed_on"] = dt.date.fromisoformat(_text(completed)[:10])
        except ValueError:
            row.errors.append(f"竣工日期“{_text(completed)}”无效，应为 YYYY-MM-DD")
    row.values["source"] = _text(cells.get("source"))[:100] or "历年危房改造台账"


def plan_rows(rows: list[HistoricRow], *, prefix: str, lock: bool = False) -> HistoricPlan:
    """Match each row to a household of the uploader's area; a record already there for the
    year is unchanged; the same household and year twice in the file is an error."""
    hashes = sorted({r.id_hash for r in rows if r.id_hash})
    households = {
        h["id_number_hash"]: h
        for h in Household.objects.in_area(prefix)
        .filter(id_number_hash__in=hashes)
        .values("pk", "id_number_hash", "head_name")
    }
    existing = set(
        HistoricRenovation.objects.unscoped("the matched households' records")
        .filter(household_id__in=[h["pk"] for h in households.values()])
        .values_list("household_id", "year")
    )
    seen: dict[tuple, int] = {}
    for row in rows:
        record = households.get(row.id_hash) if row.id_hash else None
        if row.id_hash and record is None:
            row.errors.append("身份证号未在您管辖范围内的农户名册中找到，请先录入农户")
        elif record is not None:
            row.household_id = record["pk"]
            name = row.values.get("head_name")
            if name and "".join(name.split()) != "".join(record["head_name"].split()):
                row.errors.append(
                    f"该身份证号登记的户主为“{record['head_name']}”，与“{name}”不一致"
                )
        key = (row.household_id, row.values.get("year"))
        if row.household_id and key in seen:
            row.errors.append(f"与第 {seen[key]} 行重复（同一户同一年度）")
        seen.setdefault(key, row.number)
        if row.errors:
            row.action = "error"
        elif key in existing:
            row.action = "unchanged"
        else:
            row.action = "create"
    return HistoricPlan(rows)


def _store_preview(record: HouseholdImport, plan: HistoricPlan) -> None:
    counts = plan.counts
    record.row_count = len(plan.rows)
    record.error_count = counts["error"]
    record.to_create = counts["create"]
    record.to_update = 0
    record.to_keep = counts["unchanged"]
    record.preview = {
        "errors": [
            {
                "row": r.number,
                "id": crypto.mask(r.id_number) if r.id_number else "",
                "messages": r.errors,
            }
            for r in plan.rows
            if r.errors
        ][:500],
        "rows": [
            {
                "row": r.number,
                "id": crypto.mask(r.id_number),
                "name": r.values.get("head_name", ""),
                "year": r.values.get("year"),
                "method": r.values.get("method", ""),
                "amount": f"{r.values['amount']:,.2f}",
                "action": r.action,
            }
            for r in plan.rows
            if r.action in ("create", "unchanged")
        ][:PREVIEW_ROWS],
        "counts": counts,
    }


def _write(plan: HistoricPlan, *, by: User) -> list[Household]:
    records = [
        HistoricRenovation(
            household_id=r.household_id,
            year=r.values["year"],
            method=r.values["method"],
            amount=r.values["amount"],
            completed_on=r.values.get("completed_on"),
            source=r.values["source"],
            created_by=by,
        )
        for r in plan.of("create")
    ]
    HistoricRenovation.objects.bulk_create(records, batch_size=1000)
    # The house was renovated then: a state of its history (a later appraisal comes after).
    SafetyState.objects.bulk_create(
        [
            SafetyState(
                household_id=r.household_id,
                level=StateLevel.SAFE,
                on=r.completed_on or dt.date(r.year, 12, 31),
                source=StateSource.HISTORIC,
                note=f"{r.year}年{r.method} {r.amount:,.2f}元（{r.source}）"[:200],
            )
            for r in records
        ],
        batch_size=1000,
    )
    return []  # no household is created


HISTORIC = household_kind(
    "historic_renovations",
    parse=parse_workbook,
    plan_rows=plan_rows,
    store_preview=_store_preview,
    write=_write,
    department=lambda record: None,  # not a department's list: no appraisal clock
    list_note="历年改造记录：",
    default_filename="历年改造记录.xlsx",
)


def historic_upload(*, user, uploaded) -> HouseholdImport:
    return pipeline.upload(HISTORIC, by=user, uploaded=uploaded, kind=ImportKind.HISTORIC)


def historic_apply(
    *, record: HouseholdImport, by: User, only_valid: bool = False
) -> HouseholdImport:
    return pipeline.confirm(HISTORIC, record, by=by, only_valid=only_valid)


def historic_cancel(*, record: HouseholdImport, by: User) -> HouseholdImport:
    return pipeline.cancel(HISTORIC, record, by=by)
