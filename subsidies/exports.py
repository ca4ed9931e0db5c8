"""The payout list for the finance bureau's 一卡通 system (Excel) and the summary to sign (PDF).

County roles get full ID and account numbers (the bureau pays from them) and each household
shown in full is logged in SensitiveAccessLog; every other role gets masked numbers.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core import exports
from core.errors import DomainError
from core.pdf import render_pdf
from core.xlsx import freeze_header, safe_cell
from households.models import SensitiveAccessLog
from subsidies import selectors
from subsidies.models import LineStatus, PayoutBatch

HEADER = [
    "序号",
    "乡镇",
    "村",
    "户主姓名",
    "身份证号",
    "一卡通账号",
    "开户银行",
    "补助金额(元)",
    "备注",
]
WIDTHS = [6, 12, 12, 10, 22, 26, 16, 14, 20]
AMOUNT_FORMAT = "#,##0.00"
PURPOSE = "拨付清单导出"


def batch_for(user, batch_id) -> PayoutBatch:
    try:
        pk = int(batch_id)
    except (TypeError, ValueError):
        raise DomainError("请选择拨付批次。") from None
    batch = selectors.batch_list(user).filter(pk=pk).first()
    if batch is None:
        raise DomainError("该批次不存在或不在您的管辖区划内。")
    return batch


def _lines(batch: PayoutBatch):
    return (
        batch.lines.exclude(status=LineStatus.FAILED)
        .select_related("project__household__village__parent")
        .order_by("project__household__village_id", "project__household__head_name", "id")
    )


def _amount_cell(ws, value):
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = AMOUNT_FORMAT
    return cell


def build_workbook(user, batch: PayoutBatch, progress=None) -> bytes:
    """One sheet: header, a row per line, a totals row (a number, not a formula)."""
    full = bool(user.may_see_full_numbers)
    lines = list(_lines(batch))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("拨付清单")
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    freeze_header(ws)
    # The header is the first row: the finance bureau's system imports the sheet as is.
    header = [WriteOnlyCell(ws, value=v) for v in HEADER]
    for cell in header:
        cell.font = Font(bold=True)
    ws.append(header)
    total = Decimal("0")
    shown = []
    for n, line in enumerate(lines, start=1):
        household = line.project.household
        village = household.village
        total += line.amount
        if full:
            shown.append(household)
        ws.append(
            [
                n,
                safe_cell(village.parent.name if village.parent else "", ws),
                safe_cell(village.name, ws),
                safe_cell(household.head_name, ws),
                safe_cell(household.id_number if full else household.id_number_masked, ws),
                safe_cell(line.account if full else line.account_masked, ws),
                safe_cell(line.bank_name, ws),
                _amount_cell(ws, line.amount),
                safe_cell(line.note, ws),
            ]
        )
        if progress and n % 200 == 0:
            progress(min(90, n * 90 // max(len(lines), 1)), f"已写入 {n}/{len(lines)} 行")
    ws.append(["合计", "", "", f"{len(lines)}户", "", "", "", _amount_cell(ws, total), ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    if shown:
        # Every display of a full number is logged: one row per household (trust rule 4).
        SensitiveAccessLog.objects.bulk_create(
            [
                SensitiveAccessLog(
                    user=user, household=h, field="id_number,bank_account", purpose=PURPOSE
                )
                for h in {h.pk: h for h in shown}.values()
            ]
        )
    return buffer.getvalue()


def filename(batch: PayoutBatch, ext: str) -> str:
    return f"拨付清单_{batch.number}_{timezone.localdate():%Y%m%d}.{ext}"


@exports.register
class PayoutBatchExporter(exports.Exporter):
    key = "payout-batch"
    label = "拨付清单导出（财政一卡通）"

    def clean_params(self, user, params: dict) -> dict:
        return {"batch": batch_for(user, params.get("batch")).pk}

    def run(self, user, params, progress):
        batch = batch_for(user, params.get("batch"))
        content = build_workbook(user, batch, progress)
        return exports.ExportResult(content, filename(batch, "xlsx"), exports.XLSX)


def summary_context(batch: PayoutBatch) -> dict:
    """Totals per township for the summary to sign."""
    per_township: OrderedDict[str, dict] = OrderedDict()
    for line in _lines(batch):
        village = line.project.household.village
        name = village.parent.name if village.parent else ""
        row = per_township.setdefault(name, {"township": name, "count": 0, "amount": Decimal(0)})
        row["count"] += 1
        row["amount"] += line.amount
    rows = list(per_township.values())
    for row in rows:
        row["amount_text"] = f"{row['amount']:,.2f}"
    amount = sum((r["amount"] for r in rows), Decimal(0))
    return {
        "batch": batch,
        "rows": rows,
        "count": sum(r["count"] for r in rows),
        "amount": amount,
        "amount_text": f"{amount:,.2f}",
        "printed_on": timezone.localdate(),
    }


def render_summary_pdf(batch: PayoutBatch) -> bytes:
    return render_pdf("subsidies/pdf/batch_summary.html", summary_context(batch))


# --- the funds report (issue 16 point 6) -------------------------------------------------

FUNDS_LEVEL_HEADER = ["年度", "资金级次", "已下达(元)", "已安排(元)", "已拨付(元)", "结余(元)"]
FUNDS_TOWNSHIP_HEADER = ["年度", "乡镇", "资金级次", "指定下达(元)", "已拨付(元)", "户数"]


def build_funds_workbook(user, year: int | None = None) -> bytes:
    """The finance bureau's layout: per level and year, then per township and level; the
    same numbers as the funds page (selectors.funds_summary)."""
    summary = selectors.funds_summary(user, year)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("资金汇总")
    for width, letter in zip([8, 10, 16, 16, 16, 16], "ABCDEF", strict=True):
        ws.column_dimensions[letter].width = width
    bold = Font(bold=True)

    def header(values):
        row = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            cell.font = bold
            row.append(cell)
        return row

    ws.append(header(FUNDS_LEVEL_HEADER))
    for r in summary["levels"]:
        ws.append(
            [r.year, r.level_label]
            + [_amount_cell(ws, v) for v in (r.allocated, r.drawn, r.paid, r.balance)]
        )
    t = summary["totals"]
    ws.append(
        ["合计", ""] + [_amount_cell(ws, v) for v in (t.allocated, t.drawn, t.paid, t.balance)]
    )
    ws2 = wb.create_sheet("分乡镇")
    for width, letter in zip([8, 16, 10, 16, 16, 8], "ABCDEF", strict=True):
        ws2.column_dimensions[letter].width = width
    ws2.append(header(FUNDS_TOWNSHIP_HEADER))
    for r in summary["townships"]:
        ws2.append(
            [r.year, safe_cell(r.township), r.level_label]
            + [_amount_cell(ws2, r.allocated), _amount_cell(ws2, r.paid), r.households]
        )
    ws3 = wb.create_sheet("当年项目拨付")
    for width, letter in zip([16, 8, 16], "ABC", strict=True):
        ws3.column_dimensions[letter].width = width
    ws3.append(header([f"乡镇（{summary['paid_year']}年项目）", "户数", "已拨付(元)"]))
    for r in summary["paid_townships"]:
        ws3.append([safe_cell(r["township"]), r["households"], _amount_cell(ws3, r["amount"])])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@exports.register
class FundsReportExporter(exports.Exporter):
    key = "funds-report"
    label = "资金报表（分级次、分乡镇）"
    roles = frozenset({"county_reviewer", "county_approver", "official"})

    def clean_params(self, user, params: dict) -> dict:
        year = str(params.get("year") or "").strip()
        if year and not (year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100):
            raise DomainError("年度无效。")
        return {"year": int(year) if year else None}

    def run(self, user, params, progress):
        content = build_funds_workbook(user, params.get("year"))
        name = f"资金报表_{params.get('year') or '全部'}_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, name, exports.XLSX)
