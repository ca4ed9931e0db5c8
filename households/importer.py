"""Import of the partner departments' lists (.xlsx) into the household registry ("以人找房").

A kind of the one import pipeline (`core.imports.pipeline`): `import_upload` checks and
parses the file and stores a preview (nothing is written to households); `import_apply`
parses the stored file again, re-validates inside one transaction and writes everything (or
only the valid rows, if asked); `import_cancel` drops it. The uploaded file holds full ID
numbers, so it is stored encrypted and the preview keeps only masked numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.models import Area, AreaLevel, Role, User
from core import crypto
from core.imports import bulk, pipeline
from core.imports.files import (  # noqa: F401 - re-exported for the other household imports
    MAX_BLANK_RUN,
    ImportFileError,
    _decrypt_file,
    _encrypt_file,
    _normalize_header,
    _text,
    check_archive,
    read_upload,
    save_with_upload,
)
from core.imports.pipeline import ImportSpec
from core.imports.xlsx_reader import Sheet, read_workbook
from core.validators import id_number_error
from households import providers, validation
from households.models import (
    CATEGORY_SHORT,
    PRIORITY_FIELDS,
    Category,
    Department,
    Household,
    HouseholdImport,
)
from households.services import import_change_requests, split_import_changes

DATA_SHEET = "农户名单"
NOTES_SHEET = "填写说明"
# Rows whose 户主姓名 starts with this mark are the template's example and are skipped.
EXAMPLE_MARK = "【示例】"
PREVIEW_ROWS = 200  # rows "to create / to update" listed on the preview page
MAX_ERRORS_KEPT = 1000  # error rows kept for the preview page
BATCH_SIZE = 500
HASH_CHUNK = 5000
OUTSIDE_AREA = "不存在或不在您的管辖范围内"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    help: str = ""
    width: int = 14


COLUMNS = (
    Column("户主姓名", "head_name", True, "与身份证一致", 12),
    Column("户主身份证号", "id_number", True, "18位，单元格须为文本格式", 22),
    Column("村代码", "village", True, "12位统计用区划代码（村级）", 16),
    Column("家庭人口", "family_size", True, "1到30之间的整数", 10),
    Column(
        "重点对象类型",
        "category",
        True,
        "填类型名称或简称，如“低保户”“低保边缘家庭”“易返贫致贫户”",
        18,
    ),
    Column("认定部门", "identified_by", False, "民政、乡村振兴、残联或其他", 10),
    Column("认定日期", "identified_on", False, "日期格式或 YYYY-MM-DD 文本，不能晚于今天", 12),
    Column("联系电话", "phone", False, "数字和“-”", 14),
    Column("住址", "address", False, "", 24),
    Column("残疾人", "is_disabled", False, "是/否，空白视为否", 8),
    Column("军人军属", "is_military_family", False, "是/否，空白视为否", 8),
    Column("退役军人", "is_veteran", False, "是/否，空白视为否", 8),
    Column("见义勇为", "is_heroic", False, "是/否，空白视为否", 8),
    Column("一卡通账号", "bank_account", False, "12到30位数字，单元格须为文本格式", 24),
    Column("开户银行", "bank_name", False, "", 14),
    Column("备注", "note", False, "", 20),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED_KEYS = [c.key for c in COLUMNS if c.required]
BOOLEAN_KEYS = list(PRIORITY_FIELDS)
# Values compared with an existing household to decide "updated" or "unchanged".
COMPARED_KEYS = [c.key for c in COLUMNS if c.key not in {"head_name", "id_number"}]


def _norm_label(value: str) -> str:
    return "".join(value.split()).replace("（", "(").replace("）", ")")


CATEGORY_LOOKUP: dict[str, str] = {}
for _category in Category:
    CATEGORY_LOOKUP[_category.value] = _category.value
    CATEGORY_LOOKUP[_norm_label(str(_category.label))] = _category.value
for _category, _short in CATEGORY_SHORT.items():
    CATEGORY_LOOKUP.setdefault(_norm_label(_short), _category.value)
DEPARTMENT_LOOKUP = {d.value: d.value for d in Department} | {
    str(d.label): d.value for d in Department
}
TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√"}
FALSE_WORDS = {"否", "N", "NO", "FALSE", "0", "×"}
DATE_TEXT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


# --- The template -------------------------------------------------------------------------


def build_template() -> bytes:
    """The blank list with a header row, one example row (skipped on import) and notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([c.header + ("*" if c.required else "") for c in COLUMNS])
    example = {
        "head_name": f"{EXAMPLE_MARK}张三",
        "id_number": "11010519491231002X",
        "village": "141124100201",
        "family_size": 3,
        "category": "低保户",
        "identified_by": "民政",
        "identified_on": "2025-03-15",
        "phone": "13800000000",
        "address": "一组12号",
        "is_disabled": "是",
        "is_military_family": "否",
        "is_veteran": "否",
        "is_heroic": "否",
        "bank_account": "6217000000000000000",
        "bank_name": "农村信用社",
        "note": "示例行，导入时自动忽略，可删除",
    }
    ws.append([example[c.key] for c in COLUMNS])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        header = ws.cell(row=1, column=index)
        header.font = Font(bold=True, color="C00000" if column.required else "000000")
        header.fill = fill
        ws.column_dimensions[letter].width = column.width
        if column.key in {"id_number", "village", "phone", "bank_account", "identified_on"}:
            # Text cells: Excel keeps only 15 significant digits of a number.
            ws.column_dimensions[letter].number_format = "@"
            ws.cell(row=2, column=index).number_format = "@"
        ws.cell(row=2, column=index).font = Font(color="808080", italic=True)
    ws.freeze_panes = "A2"

    def dropdown(key: str, options: list[str]) -> None:
        letter = get_column_letter(list(COLUMN_BY_KEY).index(key) + 1)
        rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        rule.error = "请从下拉列表中选择。"
        rule.showErrorMessage = False  # full names are accepted too
        ws.add_data_validation(rule)
        rule.add(f"{letter}2:{letter}{settings.ANJU_IMPORT_MAX_ROWS + 1}")

    current = [CATEGORY_SHORT[c] for c in Category if not c.value.startswith("legacy_")]
    dropdown("category", current)
    dropdown("identified_by", [str(d.label) for d in Department])
    for key in BOOLEAN_KEYS:
        dropdown(key, ["是", "否"])

    notes = wb.create_sheet(NOTES_SHEET)
    notes.append(["列名", "是否必填", "填写要求"])
    for column in COLUMNS:
        notes.append([column.header, "必填" if column.required else "", column.help])
    notes.append([])
    notes.append(["说明"])
    for line in (
        "1. 第一行为表头，请勿修改列名；每户一行，只填户主（家庭成员请在系统中补录）。",
        f"2. 户主姓名以“{EXAMPLE_MARK}”开头的示例行导入时自动忽略。",
        "3. 身份证号、村代码、一卡通账号请以文本格式填写，避免 Excel 丢失末位数字。",
        "4. 同一身份证号在本县已有农户时按“更新”处理：只修改文件中填写的项目，"
        "空白单元格表示不修改原有信息；户主姓名不一致的行不会导入。",
        "5. 上传后先预览，确认后才写入农户名册；同一文件重复导入不会产生重复农户。",
        f"6. 每个文件最多 {settings.ANJU_IMPORT_MAX_ROWS} 行，"
        f"不超过 {settings.ANJU_IMPORT_MAX_BYTES // (1024 * 1024)} MB。",
    ):
        notes.append([line])
    notes.append([])
    notes.append(["重点对象类型", "简称", "代码"])
    for category in Category:
        notes.append([str(category.label), CATEGORY_SHORT.get(category, ""), category.value])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    notes.column_dimensions["A"].width = 40
    notes.column_dimensions["B"].width = 16
    notes.column_dimensions["C"].width = 60

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Reading the file ---------------------------------------------------------------------


#: The keys of a row's values, in the order of `ImportRow.cells`.
VALUE_KEYS = tuple(c.key for c in COLUMNS)
_VALUE_INDEX = {key: index for index, key in enumerate(VALUE_KEYS)}


class RowValues(Mapping):
    """A row's cleaned, non-blank values by column key, read from its `cells` (one slot per
    column, None where the cell was blank or wrong): a dict's reads without a dict per row
    (a dict of 13 values took 464 bytes, the list of 16 slots takes 184)."""

    __slots__ = ("_cells",)

    def __init__(self, cells: list):
        self._cells = cells

    def __getitem__(self, key: str) -> Any:
        value = self._cells[_VALUE_INDEX[key]]
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        index = _VALUE_INDEX.get(key)  # type: ignore[call-overload]
        return index is not None and self._cells[index] is not None

    def get(self, key: str, default: Any = None) -> Any:
        index = _VALUE_INDEX.get(key)
        value = None if index is None else self._cells[index]
        return default if value is None else value

    def __iter__(self):
        return (
            key for key, value in zip(VALUE_KEYS, self._cells, strict=True) if value is not None
        )

    def __len__(self) -> int:
        return sum(value is not None for value in self._cells)

    def __setitem__(self, key: str, value: Any) -> None:
        if value is None:
            raise ValueError("a blank cell is left out, not stored as None")
        self._cells[_VALUE_INDEX[key]] = value

    def __repr__(self) -> str:
        return repr(dict(self))


def _blank_cells() -> list:
    return [None] * len(VALUE_KEYS)


@dataclass(slots=True)  # slots: 100,000 rows are kept from the preview to the confirm
class ImportRow:
    number: int  # the Excel row number shown to the user
    #: The cleaned values by column (`VALUE_KEYS`), None where blank or wrong; read them as
    #: a mapping through `values`.
    cells: list = field(default_factory=_blank_cells)
    # A list once there is an error (`error()`), and the changes once `_compare` found some:
    # no empty containers for each of 100,000 rows kept from the preview to the confirm.
    errors: list[str] | tuple = ()
    id_number: str = ""
    id_hash: str = ""
    action: str = ""  # create / update / unchanged / error
    household_id: int | None = None
    changes: dict[str, Any] | None = None
    change_labels: list[str] | tuple = ()

    @property
    def values(self) -> RowValues:
        """The cleaned, non-blank values by column key (a view of `cells`)."""
        return RowValues(self.cells)

    def __setstate__(self, state) -> None:
        # Pickled as (None, {slot: value}); rows kept by an earlier version held their
        # values as a dict under "values".
        slots = dict(state[1])
        if "values" in slots:
            values = slots.pop("values")
            slots["cells"] = [values.get(key) for key in VALUE_KEYS]
        for name, value in slots.items():
            object.__setattr__(self, name, value)

    def error(self, message: str) -> None:
        if self.errors:
            self.errors.append(message)
        else:
            self.errors = [message]

    @property
    def head_name(self) -> str:
        return self.values.get("head_name", "")

    @property
    def id_masked(self) -> str:
        return crypto.mask(self.id_number) if self.id_number else ""


#: Columns whose values repeat across a file (a few villages, banks, days): one object per
#: distinct value for the whole file, as the sheet's shared strings give them, also when the
#: file holds them as inline strings (one string per cell).
_SHARED_KEYS = ("village", "bank_name", "identified_on")


def _clean_cell(key: str, raw: Any, row: ImportRow, today: dt.date) -> Any:
    """The cleaned value of one cell, or None when blank or wrong (the error is noted)."""
    label = COLUMN_BY_KEY[key].header
    text = _text(raw)
    if text == "":
        return None
    if key == "id_number":
        if isinstance(raw, int | float):
            row.error(
                "身份证号单元格是数字格式，Excel 已丢失末几位数字，请将该列设为文本格式后重新填写"
            )
            row.id_number = crypto.normalize_number(text)
            return None
        value = crypto.normalize_number(text)
        row.id_number = value
        error = id_number_error(value)
        if error:
            row.error(error)
            return None
        return value
    if key == "village":
        # The cell's own string when it has no blanks: one object per village code for the
        # whole file (the sheet's shared strings), not one per row.
        value = text if text.isdigit() else "".join(text.split())
        if not re.fullmatch(r"\d{12}", value):
            row.error(f"村代码“{value}”应为12位数字")
            return None
        return value
    if key == "family_size":
        if isinstance(raw, float) and not raw.is_integer():
            text = "x"
        if not text.isdigit() or validation.family_size_error(int(text)):
            row.error(f"家庭人口“{text}”无效，应为1到30之间的整数")
            return None
        return int(text)
    if key == "category":
        value = CATEGORY_LOOKUP.get(_norm_label(text)) or CATEGORY_LOOKUP.get(text.lower())
        if value is None:
            row.error(
                f"重点对象类型“{text}”无法识别，应为："
                + "、".join(
                    CATEGORY_SHORT[c] for c in Category if not c.value.startswith("legacy_")
                )
            )
        return value
    if key == "identified_by":
        value = DEPARTMENT_LOOKUP.get(text)
        if value is None:
            row.error(f"认定部门“{text}”无效，应为民政、乡村振兴、残联或其他")
        return value
    if key == "identified_on":
        if isinstance(raw, dt.datetime | dt.date):
            value = raw.date() if isinstance(raw, dt.datetime) else raw
        else:
            match = DATE_TEXT.match(text)
            try:
                value = dt.date(*(int(g) for g in match.groups())) if match else None
            except ValueError:
                value = None
            if value is None:
                row.error(f"认定日期“{text}”无效，应为日期或 YYYY-MM-DD 格式")
                return None
        if message := validation.date_error("identified_on", value, today=today):
            row.error(message)
            return None
        return value
    if key in BOOLEAN_KEYS:
        word = text.upper()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        row.error(f"{label}应填“是”或“否”，不能填“{text}”")
        return None
    if key == "phone":
        if message := validation.phone_error(text):
            row.error(f"联系电话“{text[:30]}”无效：" + message.split("：", 1)[-1])
            return None
        return text
    if key == "bank_account":
        if isinstance(raw, int | float):
            row.error(
                "一卡通账号单元格是数字格式，Excel 已丢失末几位数字，请设为文本格式后重新填写"
            )
            return None
        value = "".join(text.split())
        if message := validation.bank_account_error(value):
            row.error(message.rstrip("。"))
            return None
        return value
    if message := validation.text_error(key, text):
        row.error(message)
        return None
    return text


def parse_workbook(data: bytes) -> list[ImportRow]:
    """Rows of the sheet named 农户名单 (or the first sheet), with per-cell errors."""
    return read_workbook(data, _read_rows, preferred_name=DATA_SHEET)


def _read_rows(sheet: Sheet) -> list[ImportRow]:
    rows_iter = sheet.rows()
    _number, header = next(rows_iter, (0, []))
    if not any(_text(v) for v in header):
        raise ImportFileError("工作表是空的：第一行应为表头，请使用导入模板。")
    positions: dict[str, int] = {}
    by_header = {c.header: c.key for c in COLUMNS}
    for index, value in enumerate(header):
        key = by_header.get(_normalize_header(value))
        if key and key not in positions:
            positions[key] = index
    missing = [COLUMN_BY_KEY[k].header for k in REQUIRED_KEYS if k not in positions]
    if missing:
        raise ImportFileError(
            "表头缺少以下必填列：" + "、".join(missing) + "。请使用下载的导入模板，第一行为表头。"
        )
    max_rows = settings.ANJU_IMPORT_MAX_ROWS
    today = timezone.localdate()
    rows: list[ImportRow] = []
    shared: dict[Any, Any] = {}
    shared_at = [(_VALUE_INDEX[key]) for key in _SHARED_KEYS]
    blank_run = 0
    for number, values in rows_iter:
        if all(_text(v) == "" for v in values.present()):
            blank_run += 1  # styled but empty rows (a formatted column) end the data
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        get = values.get
        cells = {k: get(i) for k, i in positions.items()}
        if _text(cells.get("head_name")).startswith(EXAMPLE_MARK):
            continue
        if len(rows) >= max_rows:
            raise ImportFileError(f"文件超过 {max_rows} 行的上限，请拆分为多个文件分别导入。")
        row = ImportRow(number=number)
        date = cells.get("identified_on")
        if isinstance(date, int | float) and not isinstance(date, bool) and 0 < date < 2958466:
            cells["identified_on"] = sheet.excel_date(date)  # a date cell: days since epoch
        kept = row.cells
        for key, raw in cells.items():
            kept[_VALUE_INDEX[key]] = _clean_cell(key, raw, row, today)
        for index in shared_at:
            value = kept[index]
            if value is not None:
                kept[index] = shared.setdefault(value, value)
        missing_values = [COLUMN_BY_KEY[k].header for k in REQUIRED_KEYS if _text(cells[k]) == ""]
        if missing_values:
            row.errors = ["缺少必填项：" + "、".join(missing_values), *row.errors]
        if row.id_number and "id_number" in row.values:
            row.id_hash = crypto.search_hash(row.id_number)
        rows.append(row)
    if not rows:
        raise ImportFileError("文件中没有数据行：请从第二行起每户填写一行（示例行不计）。")
    return rows


# --- Validation against the registry ------------------------------------------------------


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    villages: dict[str, Area]

    def of(self, action: str) -> list[ImportRow]:
        return [r for r in self.rows if r.action == action]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def village_label(self, code: str | None) -> str:
        village = self.villages.get(code or "")
        if village is None:
            return code or ""
        return f"{village.parent.name} {village.name}" if village.parent_id else village.name

    def summary(self) -> dict[str, Any]:
        """What the preview page shows: masked numbers only, never a full ID."""
        errors = [
            {"row": r.number, "name": r.head_name, "id": r.id_masked, "messages": list(r.errors)}
            for r in self.rows
            if r.action == "error"
        ]
        sample = []
        for row in self.rows:
            if row.action not in {"create", "update"}:
                continue
            if len(sample) >= PREVIEW_ROWS:
                break
            category = row.values.get("category", "")
            sample.append(
                {
                    "row": row.number,
                    "action": row.action,
                    "name": row.head_name,
                    "id": row.id_masked,
                    "village": self.village_label(row.values.get("village")),
                    "category": CATEGORY_SHORT.get(category, category),
                    "family_size": row.values.get("family_size"),
                    "changes": list(row.change_labels),
                }
            )
        return {
            "errors": errors[:MAX_ERRORS_KEPT],
            "errors_truncated": len(errors) > MAX_ERRORS_KEPT,
            "rows": sample,
        }


def _display(key: str, value: Any, plan, date_format: str = "%Y-%m-%d") -> str:
    """A value as the preview shows it in "old → new" (also the monitoring list's, with its
    month-only dates); `plan` names the villages."""
    if value is None or value == "":
        return "（空）"
    if key == "village":
        return plan.village_label(value)
    if key == "category":
        return CATEGORY_SHORT.get(value, value)
    if key == "identified_by":
        return str(Department(value).label) if value in Department.values else value
    if isinstance(value, bool) or key in BOOLEAN_KEYS:
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.strftime(date_format)
    return str(value)


_EXISTING_FIELDS = (
    "pk",
    "county_code",
    "id_number_hash",
    "head_name",
    "village_id",
    "family_size",
    "category",
    "identified_by",
    "identified_on",
    "phone",
    "address",
    "is_disabled",
    "is_military_family",
    "is_veteran",
    "is_heroic",
    "bank_account_hash",
    "bank_name",
    "note",
)


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def plan_rows(rows: list[ImportRow], *, prefix: str, lock: bool = False) -> ImportPlan:
    """Decide for each row: create, update, unchanged or error (with the reasons).

    `prefix` is the importer's area; `lock` (on confirm) locks the matched households so the
    comparison stays true until the transaction writes.
    """
    codes = {r.values["village"] for r in rows if "village" in r.values}
    villages = {
        a.code: a
        for a in Area.objects.in_area(prefix)
        .filter(level=AreaLevel.VILLAGE, code__in=codes)
        .select_related("parent")
    }
    plan = ImportPlan(rows=rows, villages=villages)
    for row in rows:
        code = row.values.get("village")
        if code is not None and code not in villages:
            row.error(f"村代码 {code} {OUTSIDE_AREA}")

    first: dict[str, ImportRow] = {}  # by ID hash (no list per row: 100,000 rows)
    repeated: dict[str, list[ImportRow]] = {}
    for row in rows:
        if row.id_hash:
            seen = first.setdefault(row.id_hash, row)
            if seen is not row:
                repeated.setdefault(row.id_hash, [seen]).append(row)
    for same in repeated.values():
        for row in same:
            others = "、".join(str(o.number) for o in same if o is not row)
            row.error(f"身份证号与第 {others} 行重复")

    # The matched households are read HASH_CHUNK at a time and each compared with its row at
    # once: no record kept per row (100,000 matched households as dicts took about 150 MB).
    old_codes: set[str] = set()
    compared: list[ImportRow] = []
    hashes = list(first)
    for start in range(0, len(hashes), HASH_CHUNK):
        query = Household.objects.unscoped("import matches ID numbers county-wide").filter(
            bulk.among(Household, "id_number_hash", hashes[start : start + HASH_CHUNK])
        )
        if lock:
            query = query.select_for_update()
        for record in query.values(*_EXISTING_FIELDS):
            id_hash = record["id_number_hash"]
            for row in repeated.get(id_hash) or (first[id_hash],):
                code = row.values.get("village")
                if code and code[:6] == record["county_code"]:
                    old_codes.add(record["village_id"])
                    if _match(row, record, prefix=prefix):
                        compared.append(row)
    old_codes -= set(villages)
    if old_codes:
        villages.update(
            {a.code: a for a in Area.objects.filter(code__in=old_codes).select_related("parent")}
        )
    for row in compared:  # the old values' labels, now that their villages are known
        row.change_labels = [
            label
            if key is None
            else f"{label}：{_display(key, old, plan)} → {_display(key, new, plan)}"
            for key, label, old, new in row.change_labels
        ]

    for row in rows:
        if row.errors:
            row.action = "error"
        elif row.household_id is None:
            row.action = "create"
        else:
            row.action = "update" if row.changes else "unchanged"
    return plan


def _match(row: ImportRow, record: dict[str, Any], *, prefix: str) -> bool:
    """The checks of a row against the household of its ID number; a row that passes them
    is that household's (`household_id`) with its changes (`_compare`). True when some were
    found: its labels then wait for the old villages' names."""
    if not record["village_id"].startswith(prefix):
        row.error("该身份证号在本县已登记为其他乡镇（不在您管辖范围内）的农户，请联系县住建局核实")
    elif "head_name" in row.values and not _same_name(record["head_name"], row.values["head_name"]):
        row.error(
            f"该身份证号已登记为户主“{record['head_name']}”，"
            f"与文件中的“{row.values['head_name']}”不一致"
        )
    if row.errors:
        return False
    row.household_id = record["pk"]
    return _compare(row, record)


def _compare(row: ImportRow, record: dict[str, Any]) -> bool:
    """Changed fields only; a blank cell keeps what the registry has. The labels are left as
    (key, header, old value, new value) for `plan_rows` to finish once the old villages are
    named (key None: the label is whole)."""
    changes: dict[str, Any] = {}
    labels: list[tuple] = []
    values = row.values
    for key in COMPARED_KEYS:
        if key not in values:
            continue
        new = values[key]
        if key == "bank_account":
            if crypto.search_hash(new) != record["bank_account_hash"]:
                changes[key] = new
                labels.append((None, "一卡通账号：已更改", None, None))
            continue
        old = record["village_id" if key == "village" else key]
        if old != new:
            changes[key] = new
            labels.append((key, COLUMN_BY_KEY[key].header, old, new))
    if not changes:
        return False
    row.changes = changes
    row.change_labels = labels
    return True


# --- Services -----------------------------------------------------------------------------


def _store_preview(household_import: HouseholdImport, plan: ImportPlan) -> None:
    counts = plan.counts
    household_import.row_count = len(plan.rows)
    household_import.error_count = counts["error"]
    household_import.to_create = counts["create"]
    household_import.to_update = counts["update"]
    household_import.to_keep = counts["unchanged"]
    household_import.preview = plan.summary()


def new_household(values: dict[str, Any], *, id_number: str, by: User) -> Household:
    """A household an import creates (not saved yet): its values, `village` by its code, and
    its numbers sealed (`sync_sensitive`)."""
    values = dict(values)
    household = Household(created_by=by, village_id=values.pop("village"), id_number=id_number)
    values.pop("id_number", None)
    for key, value in values.items():
        setattr(household, key, value)
    household.sync_sensitive()
    return household


#: The columns of a created household that come from the file, in `create_households`' order.
_CREATE_KEYS = tuple(
    c.key for c in COLUMNS if c.key not in {"head_name", "id_number", "village", "bank_account"}
)
_CREATE_COLUMNS = (
    "village_id",
    "head_name",
    "id_number",
    "id_number_hash",
    "id_number_masked",
    "bank_account",
    "bank_account_hash",
    "bank_account_masked",
    *_CREATE_KEYS,
)
_CREATE_DEFAULTS = {key: Household._meta.get_field(key).get_default() for key in _CREATE_KEYS}


@dataclass(frozen=True, slots=True)
class Created:
    """A household an import created, by its id (what the appraisal clock needs)."""

    pk: int


class CreatedHouseholds(Sequence):
    """The households `create_households` wrote, in row order: their ids, each seen as a
    `Created` only when asked for (no object per row kept for 100,000 rows)."""

    __slots__ = ("ids",)

    def __init__(self, ids: list[int]):
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [Created(pk) for pk in self.ids[index]]
        return Created(self.ids[index])


def create_households(rows: list[ImportRow], *, by: User) -> CreatedHouseholds:
    """Insert a household for each row through COPY (`core.imports.bulk`); returns them in
    row order. The same row as `new_household` + `bulk_create` writes, field by field (the
    numbers sealed as `sync_sensitive` seals them, the audit event with the acting user and
    the import), without building a model instance per row: 100,000 households in seconds
    instead of a minute and a half."""
    if not rows:
        return []
    mask, mask_account = crypto.mask, crypto.mask_account
    defaults = [_CREATE_DEFAULTS[key] for key in _CREATE_KEYS]

    def values():
        for row in rows:
            given = row.values
            yield (
                given["village"],
                given["head_name"],
                *bulk.sealed(row.id_number, mask),
                *bulk.sealed(given.get("bank_account", ""), mask_account),
                *[given.get(k, d) for k, d in zip(_CREATE_KEYS, defaults, strict=True)],
            )

    ids = bulk.copy_insert(
        Household, _CREATE_COLUMNS, values(), count=len(rows), created_by_id=by.pk
    )
    bulk.analyze_after_commit(Household, Household.pgh_event_model, rows=len(ids))
    return CreatedHouseholds(ids)


def _write(plan: ImportPlan, *, by: User) -> CreatedHouseholds:
    """Write the plan; returns the households it created."""
    new = create_households(plan.of("create"), by=by)

    now = timezone.now()
    groups: dict[tuple[str, ...], list[Household]] = defaultdict(list)
    requests = []
    for row in plan.of("update"):
        requested = split_import_changes(row.changes)
        if requested:
            requests.append((row.household_id, requested))
        if not row.changes:
            continue
        household = Household(pk=row.household_id, id_number=row.id_number)
        for key, value in row.changes.items():
            setattr(household, "village_id" if key == "village" else key, value)
        household.sync_sensitive()
        household.version = F("version") + 1
        household.updated_at = now
        names = sorted(row.changes)
        if "bank_account" in row.changes:
            names += ["bank_account_hash", "bank_account_masked"]
        # Rows that change the same fields are written together; no field is rewritten
        # unchanged (a re-encrypted account number would look like a change in history).
        fields = tuple(names + ["version", "updated_at"])
        group = groups[fields]
        group.append(household)
        if len(group) >= BATCH_SIZE:  # a batch at a time: no instance kept for every row
            Household.objects.bulk_update(group, fields)
            group.clear()
    for fields, households in groups.items():
        if households:
            Household.objects.bulk_update(households, fields, batch_size=BATCH_SIZE)
    import_change_requests(requests=requests, by=by, source="部门名单导入")
    return new


#: Who may upload and confirm a list (the pages check it too).
IMPORT_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})


def household_kind(
    name: str,
    *,
    parse: Callable[[bytes], list],
    plan_rows: Callable[..., Any],
    store_preview: Callable[[HouseholdImport, Any], None],
    write: Callable[..., Sequence],
    department: Callable[[HouseholdImport], str | None],
    list_note: str,
    default_filename: str,
    id_label: str = "身份证号",
    unit: str = "行",
    plan_options: Callable[[HouseholdImport], dict] = lambda record: {},
) -> ImportSpec:
    """The `ImportSpec` of a list kept as a `HouseholdImport` (the departments' household
    lists here, the monitoring export in `households.monitoring`, earlier years' renovations
    in `subsidies.historic`): `plan_rows(rows, *, prefix, lock, **plan_options(record))`
    plans the rows inside the import's area, `write(plan, *, by)` returns the households it
    created (anything with a `pk`). Households created from a department's list start that
    department's 5-working-day appraisal clock (以人找房)."""

    def plan(rows, record: HouseholdImport, *, lock: bool):
        return plan_rows(rows, prefix=record.scope_prefix, lock=lock, **plan_options(record))

    def apply(plan, *, record: HouseholdImport, by: User) -> None:
        created = write(plan, by=by)
        source = department(record)
        if source and created:
            providers.appraisals().department_list_created(
                by=by,
                department=source,
                received_on=record.received_on or timezone.localdate(),
                households=created,
                note=f"{list_note}{record.filename}",
            )
        counts = plan.counts
        record.created_count = counts["create"]
        record.updated_count = counts["update"]
        record.unchanged_count = counts["unchanged"]
        record.skipped_count = counts["error"]

    return pipeline.register(
        ImportSpec(
            name=name,
            model=HouseholdImport,
            roles=IMPORT_ROLES,
            action="确认导入名单",
            parse=lambda data, record: parse(data),
            plan=plan,
            store_preview=store_preview,
            write=apply,
            default_filename=default_filename,
            unit=unit,
            integrity=(
                f"导入时有其他用户录入了相同{id_label}的农户，本次未导入任何数据。请刷新后重新确认。"
            ),
            audit_key="household_import",
        )
    )


DEPARTMENT_LIST = household_kind(
    "department_list",
    parse=parse_workbook,
    plan_rows=plan_rows,
    store_preview=_store_preview,
    write=_write,
    department=lambda record: record.department,
    list_note="导入：",
    default_filename="名单.xlsx",
)


def import_upload(
    *, user, uploaded, department: str = "", received_on: dt.date | None = None
) -> HouseholdImport:
    """Check, parse and preview a list; stores the (encrypted) file, writes no household."""
    return pipeline.upload(
        DEPARTMENT_LIST,
        by=user,
        uploaded=uploaded,
        **list_fields(department=department, received_on=received_on),
    )


def list_fields(*, department: str, received_on: dt.date | None) -> dict:
    """The record's fields of a list's upload: the received day counts for a department's."""
    return {
        "department": department or "",
        "received_on": received_on if department else None,
    }


def import_apply(
    *, household_import: HouseholdImport, by: User, only_valid: bool = False
) -> HouseholdImport:
    """Write a department's household list: all rows or nothing, or (`only_valid`) the valid
    ones only (`core.imports.pipeline.confirm`)."""
    return pipeline.confirm(DEPARTMENT_LIST, household_import, by=by, only_valid=only_valid)


def import_cancel(*, household_import: HouseholdImport, by: User) -> HouseholdImport:
    """Drop a pending import and its stored file."""
    return pipeline.cancel(DEPARTMENT_LIST, household_import, by=by)
