"""The rectification ledger (整改台账) as the officials know it: the table of document 004.

A title row; the nine columns of HEADERS, with 序号, 类型 and 数量 merged over the items of
each type; then the form line of document 000
(填报人 / 日期 / 单位（盖章）). Printed on A4 landscape, one page wide, header row on every page.

The workbook is built in normal (not write-only) mode: merged cells and print titles need it,
and a ledger holds dozens of items, not tens of thousands.
"""

from __future__ import annotations

import datetime as dt
import io
import math

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins

from core.xlsx import freeze_header, set_safe_value
from rectification.models import DeadlineKind, ItemStatus, RectificationItem, Source
from rectification.selectors import ledger_groups

HEADERS = [
    "序号",
    "类型",
    "数量",
    "具体问题",
    "问题简述",
    "整改措施简述",
    "整改时限",
    "责任单位",
    "备注",
]
WIDTHS = [6, 10, 6, 22, 42, 46, 15, 16, 12]
DATE_FORMAT = 'yyyy"年"m"月"d"日"'
TITLE_SUFFIX = "农村低收入群体住房安全问题整改台账"
FORM_LINE = ("填报人：", "日期：", "单位（盖章）：")

_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
BODY_FONT = Font(name="宋体", size=10)


def ledger_title(*, campaign=None, area=None) -> str:
    if campaign is not None:
        return f"{campaign.name} {TITLE_SUFFIX}"
    return f"{area.name if area is not None else ''}{TITLE_SUFFIX}"


def deadline_value(item: RectificationItem):
    """A date for a dated item (a real date cell), else the text of the ledger."""
    if item.deadline_kind == DeadlineKind.DATE and item.deadline:
        return item.deadline
    return item.deadline_label


SPOT_CHECK_SOURCES = frozenset({Source.CITY_SPOT_CHECK, Source.PROVINCE_SPOT_CHECK})


def remarks_value(item: RectificationItem) -> str:
    parts = [item.remarks.strip()] if item.remarks.strip() else []
    if item.source in SPOT_CHECK_SOURCES:  # the level above closes it: the ledger says who
        parts.insert(0, f"来源：{item.get_source_display()}")
    if item.status == ItemStatus.CLOSED and item.closed_on:
        d = item.closed_on
        parts.append(f"已于{d.year}年{d.month}月{d.day}日销号")
    return "\n".join(parts)


def item_cells(item: RectificationItem) -> list:
    """Columns 具体问题 … 备注 of one item."""
    return [
        item.title,
        item.findings,
        item.measures,
        deadline_value(item),
        item.responsible_unit,
        remarks_value(item),
    ]


LINE_HEIGHT = 13.5  # points per line of 10 pt 宋体


def _text_width(text: str) -> float:
    """Width in column units: a CJK character takes about 1.7, others one (10 pt)."""
    return sum(1.7 if ord(ch) > 0x2E7F else 1.0 for ch in text)


def row_height(values: list) -> float:
    """Spreadsheet programs do not grow rows for wrapped text on opening: estimate it here."""
    lines = 1
    for value, width in zip(values, WIDTHS, strict=False):
        if not isinstance(value, str) or not value:
            continue
        usable = max(width - 1.5, 1)
        needed = sum(max(1, math.ceil(_text_width(part) / usable)) for part in value.split("\n"))
        lines = max(lines, needed)
    return min(409, lines * LINE_HEIGHT + 4)


def write_ledger(items, *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    freeze_header(ws, 2)  # title and header
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + i)].width = width

    set_safe_value(ws.cell(row=1, column=1), title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.cell(row=1, column=1).font = Font(name="宋体", size=16, bold=True)
    ws.cell(row=1, column=1).alignment = WRAP_CENTER
    ws.row_dimensions[1].height = 36

    for col, header in enumerate(HEADERS, start=1):
        cell = ws.cell(row=2, column=col, value=header)
        cell.font = Font(name="宋体", size=11, bold=True)
        cell.alignment = WRAP_CENTER
        cell.border = BORDER
        cell.fill = PatternFill("solid", fgColor="EEF2F5")

    row = 3
    for group in ledger_groups(items):
        first = row
        for item in group["items"]:
            values = [group["ordinal"], group["label"], group["count"], *item_cells(item)]
            ws.row_dimensions[row].height = row_height([None, None, None, *values[3:]])
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=col)
                set_safe_value(cell, value)
                cell.font = BODY_FONT
                cell.border = BORDER
                cell.alignment = WRAP_CENTER if col in (1, 2, 3, 7) else WRAP_TOP
                if isinstance(value, dt.date):
                    cell.number_format = DATE_FORMAT
            row += 1
        if row - 1 > first:
            for col in (1, 2, 3):
                ws.merge_cells(start_row=first, start_column=col, end_row=row - 1, end_column=col)

    # The form line of document 000, one blank row below the table.
    row += 1
    for (start, end), text in zip(((1, 4), (5, 6), (7, 9)), FORM_LINE, strict=True):
        ws.cell(row=row, column=start, value=text).font = Font(name="宋体", size=11)
        ws.merge_cells(start_row=row, start_column=start, end_row=row, end_column=end)
    ws.row_dimensions[row].height = 30

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "2:2"
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.freeze_panes = "A3"

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
