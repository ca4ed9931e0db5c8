"""The monthly report as a workbook (write-only, numeric cells) and as a PDF."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from core.exports import write_xlsx
from households.models import CATEGORY_SHORT, CURRENT_CATEGORIES
from reports.models import MonthlyReport, MonthlyReportRow
from reports.selectors import completion_chart, report_rows

HEADERS = [
    "乡镇",
    *[CATEGORY_SHORT[c] for c in CURRENT_CATEGORIES],
    "重点对象合计",
    "C级危房",
    "D级危房",
    "年度计划",
    "已开工",
    "已竣工",
    "已验收",
    "已拨付户数",
    "已拨付金额（元）",
    "已拆旧",
    "超期事项",
    "整改未销号",
    "整改已销号",
    "竣工率（%）",
    "排名",
    "报送状态",
]


def row_cells(row: MonthlyReportRow) -> list:
    status = "" if row.is_total else row.get_status_display() + ("（逾期）" if row.late else "")
    return [
        "全县合计" if row.is_total else row.area.name,
        *[row.households_by_category.get(c.value, 0) for c in CURRENT_CATEGORIES],
        row.households_total,
        row.appraised_c,
        row.appraised_d,
        row.planned,
        row.started,
        row.completed,
        row.accepted,
        row.paid_count,
        Decimal(row.paid_amount),
        row.demolished,
        row.overdue_alerts,
        row.rectification_open,
        row.rectification_closed,
        Decimal(row.completion_rate),
        row.rank,
        status,
    ]


def report_title(report: MonthlyReport) -> str:
    return f"{report.county.name}{report.month.year}年{report.month.month}月农村危房改造工作月报"


def monthly_xlsx(report: MonthlyReport) -> bytes:
    rows, total = report_rows(report)
    cells = [row_cells(r) for r in rows] + ([row_cells(total)] if total else [])
    return write_xlsx(f"{report.month:%Y-%m}月报", HEADERS, cells)


def monthly_pdf(report: MonthlyReport) -> bytes:
    from core.pdf import render_pdf  # imported late: WeasyPrint is heavy

    rows, total = report_rows(report)
    return render_pdf(
        "reports/monthly_pdf.html",
        {
            "title": report_title(report),
            "headers": HEADERS,
            "rows": [row_cells(r) for r in rows] + ([row_cells(total)] if total else []),
            "chart": completion_chart(rows),
            "generated": timezone.localtime(),
        },
    )
