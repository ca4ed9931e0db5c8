"""Helpers for xlsx exports: openpyxl (write-only and normal mode) and the streaming writer
of the large lists (`StreamingSheet`, xlsxwriter in constant-memory mode)."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import xlsxwriter
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from xlsxwriter.utility import xl_col_to_name

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


#: Text that needs more than the plain inline-string cell: XML specials, control characters
#: (written as Excel's _xHHHH_ escapes), literal escapes, non-characters.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
#: Excel's limit of a cell's text, in UTF-16 units.
_STRING_MAX = 32767
#: The first day with the same serial number in Excel as our count from 1899-12-30 (Excel
#: counts a 29 February 1900 that did not exist).
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
_FIRST_PLAIN_DAY = dt.date(1900, 3, 1).toordinal()


def _escape_text(value: str) -> str:
    """`value` as the text of an inline string, escaped exactly as xlsxwriter does."""
    if len(value) > _STRING_MAX // 2 and len(value.encode("utf-16-le")) // 2 > _STRING_MAX:
        value = value.encode("utf-16-le")[: _STRING_MAX * 2].decode("utf-16-le", "ignore")
    value = _LITERAL_ESCAPE.sub(r"_x005F\1", value)
    value = _CONTROL.sub(lambda match: f"_x{ord(match.group(1)):04X}_", value)
    value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class StreamingSheet:
    """One worksheet written row by row with xlsxwriter in constant-memory mode.

    Measured on the real registry (scripts/bench_scale.py, docs/PERFORMANCE.md): xlsxwriter's
    cell API costs about 10 µs a cell (checks, a cell tuple, the row flushed through its XML
    writer), five sixths of a 100,000-row export. So `append` writes each row's XML itself,
    in one string, into the worksheet's row file, as xlsxwriter's constant-memory mode would
    (inline strings, the same escapes, the same number text), and keeps the worksheet's
    dimensions; xlsxwriter still writes everything else (styles, column widths, frozen
    header, the package). Memory stays flat: a row is written when it is appended.
    `tests/core/test_xlsx.py` checks the cells against xlsxwriter's own API.

    The cells keep the shared rules: text is always text (a leading "=" gets a quote prefix,
    never a formula), dates are date cells, amounts numbers with two decimals, the header
    frozen.
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
        # The style indexes of the cells (registering the formats with the workbook).
        self._date_s = self.date._get_xf_index()
        self._datetime_s = self.datetime._get_xf_index()
        self._amount_s = self.amount._get_xf_index()
        self._quoted_s = self.quoted._get_xf_index()
        self._quoted_attr = f' s="{self._quoted_s}"'
        for col, width in enumerate(widths or header_widths(header)):
            self.ws.set_column(col, col, width)
        self.ws.freeze_panes(1, 0)
        self._letters: list[str] = []
        self._fh = self.ws.row_data_fh  # constant-memory mode: the rows' temporary file
        self.row = 0
        self.append(header)

    def _columns(self, n: int) -> list[str]:
        while len(self._letters) < n:
            self._letters.append(xl_col_to_name(len(self._letters)))
        return self._letters

    def append(self, values) -> None:
        row = self.row
        r = str(row + 1)
        letters = self._letters
        if len(letters) < len(values):
            letters = self._columns(len(values))
        parts = [f'<row r="{r}">']
        add = parts.append
        first = last = None
        for col, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if not value:
                    continue
                style = self._quoted_attr if value.startswith(FORMULA_TRIGGERS) else ""
                if len(value) > _STRING_MAX // 2 or _NEEDS_ESCAPE.search(value):
                    value = _escape_text(value)
                if value[0].isspace() or value[-1].isspace():
                    add(
                        f'<c r="{letters[col]}{r}"{style} t="inlineStr">'
                        f'<is><t xml:space="preserve">{value}</t></is></c>'
                    )
                else:
                    add(
                        f'<c r="{letters[col]}{r}"{style} t="inlineStr"><is><t>{value}</t></is></c>'
                    )
            elif kind is int or kind is float:
                if kind is float and not math.isfinite(value):
                    continue  # xlsxwriter refuses them too: an empty cell
                add(f'<c r="{letters[col]}{r}"><v>{value:.16G}</v></c>')
            elif kind is dt.date and value.toordinal() >= _FIRST_PLAIN_DAY:
                add(
                    f'<c r="{letters[col]}{r}" s="{self._date_s}">'
                    f"<v>{value.toordinal() - _EXCEL_EPOCH}</v></c>"
                )
            elif value is None:
                continue
            else:
                cell = self._other_cell(value)
                if cell is None:
                    continue
                style, text = cell
                add(f'<c r="{letters[col]}{r}"{style}>{text}</c>')
            if first is None:
                first = col
            last = col
        self.row = row + 1
        if first is None:
            return  # an empty row: nothing written (as xlsxwriter does)
        add("</row>")
        self._fh.write("".join(parts))
        ws = self.ws
        if ws.dim_rowmin is None:
            ws.dim_rowmin = row
        ws.dim_rowmax = row
        if ws.dim_colmin is None or first < ws.dim_colmin:
            ws.dim_colmin = first
        if ws.dim_colmax is None or last > ws.dim_colmax:
            ws.dim_colmax = last
        ws.previous_row = row + 1  # xlsxwriter's own writes may only follow

    def _other_cell(self, value) -> tuple[str, str] | None:
        """(style attribute, type attribute and content) of a cell that is not plain text,
        an int, a float or a recent date."""
        if isinstance(value, str):  # str subclasses (e.g. SafeString)
            text = str.__str__(value)
            if not text:
                return None
            style = self._quoted_attr if text.startswith(FORMULA_TRIGGERS) else ""
            text = _escape_text(text)
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
            return f'{style} t="inlineStr"', f"<is><t{space}>{text}</t></is>"
        if isinstance(value, bool):
            return ' t="b"', f"<v>{int(value)}</v>"
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return "", f"<v>{value:.16G}</v>"
        if isinstance(value, Decimal):
            if not value.is_finite():
                return None
            return f' s="{self._amount_s}"', f"<v>{float(value):.16G}</v>"
        if isinstance(value, dt.datetime):
            naive = value.replace(tzinfo=None) if value.tzinfo else value
            return (
                f' s="{self._datetime_s}"',
                f"<v>{self.ws._convert_date_time(naive):.16G}</v>",
            )
        if isinstance(value, dt.date):
            return f' s="{self._date_s}"', f"<v>{self.ws._convert_date_time(value):.16G}</v>"
        return self._other_cell(str(value))

    def close(self) -> None:
        self.workbook.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
