"""The ledger as a PDF (A4 landscape), through the project's restricted WeasyPrint helper."""

from __future__ import annotations

from django.utils import timezone

from rectification.exports import FORM_LINE, HEADERS, item_cells
from rectification.selectors import ledger_groups


def _text(value) -> str:
    if hasattr(value, "year"):
        return f"{value.year}年{value.month}月{value.day}日"
    return value or ""


def ledger_pdf(items, *, title: str) -> bytes:
    from core.pdf import render_pdf  # imported late: WeasyPrint is heavy

    groups = []
    for group in ledger_groups(items):
        rows = [[_text(v) for v in item_cells(item)] for item in group["items"]]
        groups.append({**group, "rows": rows})
    return render_pdf(
        "rectification/ledger_pdf.html",
        {
            "title": title,
            "headers": HEADERS,
            "groups": groups,
            "form_line": FORM_LINE,
            "generated": timezone.localtime(),
        },
    )
