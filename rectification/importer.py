"""Importing an existing ledger workbook (the layout of document 004) into ledger items.

Counties already keep their ledgers in Excel: a title, the nine columns, 类型 and 数量 merged
over their items, sometimes 具体问题 merged over several findings. Merged ranges are undone
by carrying the merged value into every cell of the range, so each row becomes one item.
Upload parses and stores a preview (with row numbers for every error); confirm writes all
items or none.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from lxml import etree
from openpyxl import load_workbook

from core.imports.files import ImportFileError
from core.imports.xlsx_reader import Sheet, XlsxError
from rectification.exports import HEADERS
from rectification.models import DeadlineKind, ProblemType

MAX_ITEMS = 2000
# Rows read at most: the items, their merged continuation rows, the title and the form lines.
MAX_ROWS = 2 * MAX_ITEMS + 100
MAX_MERGE_COLUMN = 26  # a title merged across A:Z at most; the ledger itself has 9 columns
MAX_ERRORS_SHOWN = 200
_DATE_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_DATE_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NO_YEAR = re.compile(r"^\d{1,2}\s*月\s*\d{1,2}\s*日?$")
_CLOSED_NOTE = re.compile(r"\n?已于\d{4}年\d{1,2}月\d{1,2}日销号$")
_TYPES = {t.label: t.value for t in ProblemType}


def _compact(value) -> str:
    return "".join(str(value).split()) if value is not None else ""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _grid(ws) -> dict[tuple[int, int], object]:
    """Cell values by (row, column), every merged range filled with its top-left value.

    Only the ledger's own columns and at most MAX_ROWS rows are read: a crafted file with a
    cell at row 1,048,576 or a merged range over the whole sheet would otherwise make openpyxl
    create (and this loop fill) millions of cells."""
    values = {}
    last_row, last_col = min(ws.max_row, MAX_ROWS), len(HEADERS) + 2
    for row in ws.iter_rows(min_row=1, max_row=last_row, max_col=last_col):
        for cell in row:
            if cell.value is not None:
                values[(cell.row, cell.column)] = cell.value
    for merged in ws.merged_cells.ranges:
        top_left = values.get((merged.min_row, merged.min_col))
        for r in range(merged.min_row, min(merged.max_row, last_row) + 1):
            for c in range(merged.min_col, min(merged.max_col, last_col) + 1):
                if top_left is None:
                    values.pop((r, c), None)
                else:
                    values[(r, c)] = top_left
    return values


def _refuse_oversized_merges(data: bytes) -> None:
    """A merged range beyond the ledger's rows and columns refuses the file before openpyxl
    loads it (openpyxl creates a cell object for every cell of a merged range)."""
    try:
        sheet = Sheet(data)
    except (XlsxError, zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError) as exc:
        raise ImportFileError("文件已损坏或不是有效的 Excel（.xlsx）表格。") from exc
    try:
        for _, _, last_row, last_col in sheet.merged_ranges():
            if last_row > MAX_ROWS or last_col > MAX_MERGE_COLUMN:
                raise ImportFileError(
                    "表格中有超出整改台账范围的合并单元格（行数或列数过大），请检查后重新上传。"
                )
    except (XlsxError, etree.LxmlError) as exc:
        raise ImportFileError("文件已损坏或不是有效的 Excel（.xlsx）表格。") from exc
    finally:
        sheet.close()


def _find_header(values, max_row: int) -> int | None:
    wanted = [_compact(h) for h in HEADERS]
    for r in range(1, min(max_row, 30) + 1):
        if [_compact(values.get((r, c))) for c in range(1, 10)] == wanted:
            return r
    return None


def parse_deadline(value) -> tuple[str, str | None, str | None]:
    """(deadline kind, ISO date or None, error or None) of a 整改时限 cell."""
    if isinstance(value, dt.datetime):
        return DeadlineKind.DATE, value.date().isoformat(), None
    if isinstance(value, dt.date):
        return DeadlineKind.DATE, value.isoformat(), None
    text = _compact(value)
    if not text:
        return DeadlineKind.DATE, None, "缺少整改时限"
    if text == "立行立改":
        return DeadlineKind.IMMEDIATE, None, None
    kind = DeadlineKind.LONG_TERM if "长期" in text else DeadlineKind.DATE
    match = _DATE_CN.search(text) or _DATE_ISO.search(text)
    if match:
        try:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return kind, None, f"整改时限“{text}”不是有效日期"
        return kind, day.isoformat(), None
    if kind == DeadlineKind.LONG_TERM:
        return kind, None, None
    if _NO_YEAR.match(text):
        return kind, None, f"整改时限“{text}”缺少年份，请写成“2023年6月20日”"
    return kind, None, f"整改时限“{text}”无法识别，应为日期、“立行立改”或“长期坚持”"


def parse_ledger(data: bytes) -> dict:
    """Rows and errors of a ledger workbook; nothing is written."""
    _refuse_oversized_merges(data)
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # noqa: BLE001 - whatever openpyxl trips on, the file is unusable
        raise ImportFileError("文件已损坏或不是有效的 Excel（.xlsx）表格。") from exc
    ws = wb.worksheets[0]
    if ws.max_row > MAX_ROWS:  # openpyxl counts only the cells the file holds
        raise ImportFileError(
            f"表格有 {ws.max_row} 行，超过整改台账导入的上限 {MAX_ROWS} 行；"
            "请删除表格下方多余的行（含空白但有格式的行），或拆分后分别导入。"
        )
    values = _grid(ws)
    header = _find_header(values, ws.max_row)
    if header is None:
        raise ImportFileError(
            "未找到整改台账的表头。第一个工作表须有一行依次为："
            + "、".join(HEADERS)
            + "（与导出的整改台账格式相同）。"
        )
    rows, errors = [], []
    for r in range(header + 1, ws.max_row + 1):
        cells = [values.get((r, c)) for c in range(1, 10)]
        first = next((_compact(v) for v in cells if _compact(v)), "")
        if first.startswith(("填报人", "填報人", "单位", "日期")):
            break  # the form line below the table
        title, findings, measures = _text(cells[3]), _text(cells[4]), _text(cells[5])
        if not (title or findings or measures):
            continue
        if len(rows) >= MAX_ITEMS:
            raise ImportFileError(f"台账超过 {MAX_ITEMS} 条问题，请拆分后分别导入。")
        row_errors = []
        problem_type = _TYPES.get(_compact(cells[1]))
        if problem_type is None:
            row_errors.append(
                f"类型“{_text(cells[1])}”无法识别，应为“政策落实方面”或“工作落实方面”"
                if _text(cells[1])
                else "缺少类型"
            )
        if not title:
            row_errors.append("缺少具体问题")
        kind, deadline, deadline_error = parse_deadline(cells[6])
        if deadline_error:
            row_errors.append(deadline_error)
        unit = _text(cells[7])
        if not unit:
            row_errors.append("缺少责任单位")
        for message in row_errors:
            errors.append({"row": r, "message": message})
        rows.append(
            {
                "row": r,
                "problem_type": problem_type,
                "title": title[:300],
                "findings": findings,
                "measures": measures,
                "deadline_kind": kind,
                "deadline": deadline,
                "responsible_unit": unit[:200],
                "remarks": _CLOSED_NOTE.sub("", _text(cells[8])),
                "ok": not row_errors,
            }
        )
    if not rows:
        raise ImportFileError("表头下方没有任何整改问题。")
    return {"rows": rows, "errors": errors}
