"""Helpers for xlsx exports (openpyxl, write-only mode)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
AMOUNT_FORMAT = "#,##0.00"

# A cell starting with one of these may be read as a formula by a spreadsheet program
# (formula injection): such text is written as an explicit string with a quote prefix.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value, ws=None):
    """`value` ready for `ws.append()`: text that could be a formula becomes a string cell;
    dates are date cells and amounts numbers (sortable and summable in Excel), never text."""
    if isinstance(value, dt.datetime | dt.date | Decimal) and ws is not None:
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, dt.datetime):
            cell.value = value.replace(tzinfo=None) if value.tzinfo else value
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, dt.date):
            cell.number_format = DATE_FORMAT
        else:
            cell.number_format = AMOUNT_FORMAT
        return cell
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        if ws is not None:
            cell.quotePrefix = True
        return cell
    return value


def safe_row(values, ws=None) -> list:
    return [safe_cell(v, ws) for v in values]


def set_safe_value(cell, value):
    """Normal-mode twin of `safe_cell`: assign `value`; formula-like text stays text."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def freeze_header(ws, header_rows: int = 1) -> None:
    """Keep the header row(s) in view while scrolling (set before the first append)."""
    ws.freeze_panes = f"A{header_rows + 1}"


def set_widths(ws, widths: list[float] | None = None, header: list[str] | None = None) -> None:
    """Column widths: the given ones, else wide enough for each header (CJK counts double)."""
    if widths is None:
        widths = [
            max(8, min(40, sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(h)) + 2))
            for h in header or []
        ]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
