"""Helpers for xlsx exports (openpyxl, write-only mode)."""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell

# A cell starting with one of these may be read as a formula by a spreadsheet program
# (formula injection): such text is written as an explicit string with a quote prefix.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value, ws=None):
    """`value` ready for `ws.append()`: text that could be a formula becomes a string cell."""
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
