"""Helpers for xlsx exports: openpyxl (write-only and normal mode) and the streaming writer
of the large lists (`StreamingSheet`, xlsxwriter in constant-memory mode)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import xlsxwriter
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


def header_widths(header: list[str]) -> list[float]:
    """Wide enough for each header (CJK counts double), between 8 and 40."""
    return [max(8, min(40, sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(h)) + 2)) for h in header]


class StreamingSheet:
    """One worksheet written row by row with xlsxwriter in constant-memory mode.

    Measured on the real registry (scripts/bench_scale.py, docs/PERFORMANCE.md): faster than
    openpyxl's write-only mode with memory flat in the row count (each row is flushed to a
    temporary file; pyexcelerate, faster still, holds the whole workbook in memory). The
    cells keep the shared rules: text is always text (a leading "=" gets a quote prefix, never
    a formula), dates are date cells, amounts numbers with two decimals, the header frozen.
    """

    def __init__(self, output, title: str, header: list[str], *, widths=None):
        self.workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.ws = self.workbook.add_worksheet(title[:31])
        self.date = self.workbook.add_format({"num_format": DATE_FORMAT})
        self.datetime = self.workbook.add_format({"num_format": DATETIME_FORMAT})
        self.amount = self.workbook.add_format({"num_format": AMOUNT_FORMAT})
        self.quoted = self.workbook.add_format({"quote_prefix": True})
        for col, width in enumerate(widths or header_widths(header)):
            self.ws.set_column(col, col, width)
        self.ws.freeze_panes(1, 0)
        self.row = 0
        self.append(header)

    def append(self, values) -> None:
        ws, row = self.ws, self.row
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                if value.startswith(FORMULA_TRIGGERS):
                    ws.write_string(row, col, value, self.quoted)
                else:
                    ws.write_string(row, col, value)
            elif isinstance(value, bool):
                ws.write_boolean(row, col, value)
            elif isinstance(value, int | float):
                ws.write_number(row, col, value)
            elif isinstance(value, Decimal):
                ws.write_number(row, col, float(value), self.amount)
            elif isinstance(value, dt.datetime):
                naive = value.replace(tzinfo=None) if value.tzinfo else value
                ws.write_datetime(row, col, naive, self.datetime)
            elif isinstance(value, dt.date):
                ws.write_datetime(row, col, value, self.date)
            else:
                ws.write_string(row, col, str(value))
        self.row = row + 1

    def close(self) -> None:
        self.workbook.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
