"""The monthly report as a workbook (write-only, numeric cells) and as a PDF."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from core.exports import write_xlsx
from households.models import CATEGORY_SHORT, CURRENT_CATEGORIES
from reports.models import MonthlyReport, MonthlyReportRow
from reports.rollup import RATE_NAMES
from reports.selectors import completion_chart, report_rows

HEADERS = [
    "乡镇",
    *[CATEGORY_SHORT[c] for c in CURRENT_CATEGORIES],
    "重点对象合计",
    "C级危房",
    "D级危房",
    "年度任务",
    "年度计划",
    "其中动态新增",
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
        row.target,
        row.planned,
        row.dynamic,
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


# --- The city's or province's roll-up of its counties (reports.rollup) ----------------------

ROLLUP_HEADERS = [
    "综合排名",
    "县",
    "竣工率（%）",
    "竣工率名次",
    "录入及时率（%）",
    "录入及时率名次",
    "拨付及时率（%）",
    "拨付及时率名次",
    "整改销号率（%）",
    "整改销号率名次",
    "重点对象户数",
    "C级危房",
    "D级危房",
    "年度任务",
    "年度计划",
    "其中动态新增",
    "已开工",
    "已竣工",
    "已验收",
    "已拨付户数",
    "已拨付金额（元）",
    "已拆旧",
    "整改未销号",
    "整改已销号",
    "月报报送",
]
_ROLLUP_COUNTS = (
    "households_total",
    "appraised_c",
    "appraised_d",
    "target",
    "planned",
    "dynamic",
    "started",
    "completed",
    "accepted",
    "paid_count",
)


def rollup_title(ranking: dict) -> str:
    month = ranking["month"]
    return f"{ranking['area'].name}{month.year}年{month.month}月各县农村危房改造工作排名"


def rollup_xlsx(ranking: dict) -> bytes:
    def cells(row) -> list:
        f = row.figures
        rates = []
        for name in RATE_NAMES:
            rates += [row.rates[name], row.ranks[name]]
        return [
            row.rank,
            row.area.name,
            *rates,
            *[f[name] for name in _ROLLUP_COUNTS],
            Decimal(f["paid_amount"]),
            f["demolished"],
            f["rectification_open"],
            f["rectification_closed"],
            row.submission,
        ]

    total = ranking["total"]
    total_row = [
        None,
        "合计",
        Decimal(total["completion_rate"]),
        *[None] * 7,
        *[total[name] for name in _ROLLUP_COUNTS],
        Decimal(total["paid_amount"]),
        total["demolished"],
        total["rectification_open"],
        total["rectification_closed"],
        "",
    ]
    rows = [cells(r) for r in ranking["rows"]] + [total_row]
    return write_xlsx(f"{ranking['month']:%Y-%m}各县排名", ROLLUP_HEADERS, rows)
