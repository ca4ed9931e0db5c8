"""The finance bureau's 一卡通 payout roster (EXCHANGE.md §2) and the import of its result file.

Out: a payout batch as the roster the bureau's system takes (exact headers, required cells
filled, ID numbers as 18-character text, amounts with two decimals). It carries full ID and
account numbers because the bureau pays from them: county roles only, each household logged.

Back: the bureau returns the roster with 支付状态 (已申请 / 已支付) and 支付失败原因. Upload →
preview (masked numbers only; the file is kept encrypted, as every import of the one import
pipeline, `core.imports.pipeline`) → confirm, which matches the file again and marks every
line paid or failed in one transaction, or changes nothing. The pages are
`subsidies/result_views.py`.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from lxml import etree
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from accounts.models import Role, User
from core import crypto, exports
from core.errors import DomainError
from core.imports import pipeline
from core.imports.files import ImportFileError
from core.imports.pipeline import ImportSpec
from core.imports.xlsx_reader import Sheet, XlsxError
from core.xlsx import FORMULA_TRIGGERS, freeze_header, safe_cell
from households.models import SensitiveAccessLog
from subsidies import services
from subsidies.calculator import LEVEL_FOR_APPRAISAL
from subsidies.exports import batch_for
from subsidies.models import (
    LineStatus,
    PayoutBatch,
    PayoutLine,
    PayoutResultImport,
    SubsidyStandard,
)

# --- the roster ------------------------------------------------------------------------

# EXCHANGE.md §2 (Gansu production template): the bureau's import matches headers exactly.
HEADER = [
    "排序序号",
    "户主姓名*",
    "户主身份证号*",
    "收款人姓名*",
    "收款人身份证号*",
    "银行账号*",
    "开户银行*",
    "村(居)委会*",
    "村(居)民小组*",
    "享受人*",
    "享受人身份证号*",
    "联系电话",
    "务工地点",
    "乘坐交通工具",
    "补贴标准",
    "补贴金额*",
    "填报日期",
    "备注",
]
REQUIRED = [i for i, h in enumerate(HEADER) if h.endswith("*")]
WIDTHS = [8, 10, 22, 10, 22, 26, 16, 14, 12, 10, 22, 14, 10, 10, 36, 12, 12, 24]
AMOUNT_FORMAT = "0.00"
PURPOSE = "一卡通清单导出"
# Budget subject 2210105 = 农村危房改造补助资金 (EXCHANGE.md §2): named in 备注 so the bureau
# books the lines to the right fund.
FUND_NOTE = "农村危房改造补助资金"
ROSTER_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER})
# Anju keeps no 村民小组 field: the household address's 组/社 ("一组12号", "3社") is used when
# there is one; otherwise "—", so the required cell is never blank and the gap stays visible
# to whoever checks the roster before it goes to the bureau.
NO_GROUP = "—"
_GROUP = re.compile(r"([0-9一二三四五六七八九十百零〇]+(?:村民小组|小组|组|社))")


def village_group(address: str) -> str:
    match = _GROUP.search(address or "")
    return match.group(1) if match else NO_GROUP


def _text_cell(ws, value: str) -> WriteOnlyCell | None:
    """An explicit text cell: Excel keeps all 18 digits and never reads a formula."""
    if not value:
        return None
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.number_format = "@"
    if value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def _amount_cell(ws, value: Decimal) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = AMOUNT_FORMAT
    return cell


def _standard_text(line: PayoutLine, standards: list[SubsidyStandard]) -> str:
    """The project's own calculation, else the county's standard line that applies to it."""
    project = line.project
    if project.amount_explanation:
        return project.amount_explanation
    level = LEVEL_FOR_APPRAISAL.get(project.danger_level)
    category = project.household.category
    for s in standards:
        if s.year == project.year and s.level == level and category in s.categories:
            return f"{s.name}（{s.get_level_display()}）：{s.note or f'{s.base_amount:.2f}元'}"
    return ""


def roster_lines(batch: PayoutBatch):
    """Every line of the batch in a stable order: the 排序序号 is the position in it."""
    return batch.lines.select_related("project__household__village").order_by("id")


def build_roster(user, batch: PayoutBatch, progress=None) -> bytes:
    """One sheet, header on row 1; failed lines are left out (they need a new account first)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("一卡通发放清单")
    freeze_header(ws)
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    header = [WriteOnlyCell(ws, value=v) for v in HEADER]
    for cell in header:
        cell.font = Font(bold=True)
    ws.append(header)
    standards = list(SubsidyStandard.objects.filter(county_id=batch.county_id))
    today = f"{timezone.localdate():%Y-%m-%d}"
    total = batch.lines.count() if progress else 0
    shown: dict[int, None] = {}
    for seq, line in enumerate(roster_lines(batch).iterator(chunk_size=500), start=1):
        if progress and seq % 200 == 0:
            progress(min(90, seq * 90 // max(total, 1)), f"已写入 {seq}/{total} 行")
        if line.status == LineStatus.FAILED:
            continue
        household = line.project.household
        shown[household.pk] = None
        id_number = household.id_number
        name = household.head_name
        note = FUND_NOTE + (f"；{line.note}" if line.note else "")
        ws.append(
            [
                seq,
                safe_cell(name, ws),
                _text_cell(ws, id_number),
                safe_cell(name, ws),  # 收款人 = the head of household (the account holder)
                _text_cell(ws, id_number),
                _text_cell(ws, line.account),
                safe_cell(line.bank_name or household.bank_name, ws),
                safe_cell(household.village.name, ws),
                safe_cell(village_group(household.address), ws),
                safe_cell(name, ws),  # 享受人 = the head: the subsidy is the household's
                _text_cell(ws, id_number),
                _text_cell(ws, household.phone),
                None,  # 务工地点, 乘坐交通工具: other subsidies' columns, not ours
                None,
                safe_cell(_standard_text(line, standards), ws),
                _amount_cell(ws, line.amount),
                _text_cell(ws, today),
                safe_cell(note, ws),
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    # Every display of a full number is logged: one row per household (trust rule 4).
    SensitiveAccessLog.objects.bulk_create(
        [
            SensitiveAccessLog(
                user=user, household_id=pk, field="id_number,bank_account", purpose=PURPOSE
            )
            for pk in shown
        ]
    )
    return buffer.getvalue()


@exports.register
class PayoutRosterExporter(exports.Exporter):
    key = "payout-roster"
    label = "一卡通发放清单（财政导入格式）"
    roles = ROSTER_ROLES

    def clean_params(self, user, params: dict) -> dict:
        if not user.may_see_full_numbers:
            raise DomainError("一卡通发放清单含完整身份证号和银行账号，您的角色无权导出。")
        return {"batch": batch_for(user, params.get("batch")).pk}

    def run(self, user, params, progress):
        if not user.may_see_full_numbers:
            raise DomainError("一卡通发放清单含完整身份证号和银行账号，您的角色无权导出。")
        batch = batch_for(user, params.get("batch"))
        content = build_roster(user, batch, progress)
        filename = f"一卡通发放清单_{batch.number}_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, filename, exports.XLSX)


# --- the result file -------------------------------------------------------------------

STATUS_HEADER = "支付状态"
REASON_HEADER = "支付失败原因"
PAID_WORD = "已支付"
PAID_WORDS = {PAID_WORD, "支付成功"}
TOTAL_WORDS = {"合计", "总计"}
APPLIED_WORD = "已申请"
HEADER_SCAN_ROWS = 10  # the bureau may put a title above the header
RESULT_COLUMNS = {
    "seq": "排序序号",
    "name": "户主姓名",
    "id_number": "户主身份证号",
    "amount": "补贴金额",
    "status": STATUS_HEADER,
    "reason": REASON_HEADER,
}
MARK_PAID, MARK_FAILED, KEEP = "mark_paid", "mark_failed", "keep"
CENT = Decimal("0.01")


@dataclass
class ResultRow:
    row: int
    name: str = ""
    id_masked: str = ""
    amount: str = ""
    line: int | None = None
    before: str = ""  # the line's status when previewed
    outcome: str = ""  # paid / failed / pending (as the bureau says)
    reason: str = ""
    action: str = KEEP
    error: str = ""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\u3000", " ").strip()


def _header_key(value) -> str:
    return "".join(_cell_text(value).split()).replace("*", "").replace("＊", "")


def _find_header(rows) -> dict[str, int]:
    by_label = {label: key for key, label in RESULT_COLUMNS.items()}
    for _ in range(HEADER_SCAN_ROWS):
        _number, values = next(rows, (0, None))
        if values is None:
            break
        positions: dict[str, int] = {}
        for index, value in enumerate(values):
            key = by_label.get(_header_key(value))
            if key and key not in positions:
                positions[key] = index
        if "status" in positions:
            if not ("id_number" in positions and "amount" in positions or "seq" in positions):
                raise ImportFileError(
                    "表头缺少“户主身份证号”和“补贴金额”列（或“排序序号”列），无法对应拨付明细。"
                )
            return positions
    raise ImportFileError(
        f"未找到“{STATUS_HEADER}”列：请上传财政返回的支付结果文件（表头含{STATUS_HEADER}、"
        f"{REASON_HEADER}）。"
    )


def _amount(value) -> Decimal | None:
    text = _cell_text(value).replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _outcome(status: str, reason: str) -> tuple[str, str]:
    """(paid / failed / pending, error) from the bureau's two columns."""
    if reason:
        if status in PAID_WORDS:
            return "", "支付状态为“已支付”却填写了支付失败原因，请与财政核实"
        return "failed", ""
    if status in PAID_WORDS:
        return "paid", ""
    if status in ("", APPLIED_WORD):
        return "pending", ""
    if "失败" in status:
        return "", "支付失败但未填写支付失败原因"
    return "", f"支付状态“{status}”无法识别，应为“已申请”或“已支付”"


def parse_result(batch: PayoutBatch, data: bytes) -> list[ResultRow]:
    """Each data row of the result file, matched to a line of `batch` (nothing is written).

    `data` has passed the import pipeline's size and zip checks (`read_upload`)."""
    try:
        sheet = Sheet(data)
    except (XlsxError, etree.LxmlError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ImportFileError("无法读取该 Excel 文件：文件可能已损坏或格式不受支持。") from exc
    try:
        return _match_rows(batch, sheet)
    except (XlsxError, etree.LxmlError, zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError("无法读取该 Excel 文件：文件内容异常或已损坏。") from exc
    finally:
        sheet.close()


def _match_rows(batch: PayoutBatch, sheet: Sheet) -> list[ResultRow]:
    lines = list(
        batch.lines.select_related("project__household").only(
            "id", "amount", "status", "failure_reason", "project__household__id_number_hash"
        )
    )
    lines.sort(key=lambda line: line.pk)  # the roster's 排序序号 order (roster_lines)
    by_seq = {seq: line for seq, line in enumerate(lines, start=1)}
    by_hash: dict[str, list[PayoutLine]] = {}
    for line in lines:
        by_hash.setdefault(line.project.household.id_number_hash, []).append(line)

    rows_iter = sheet.rows()
    positions = _find_header(rows_iter)

    def get(values, key):
        index = positions.get(key)
        return values[index] if index is not None and index < len(values) else None

    result: list[ResultRow] = []
    seen: dict[int, int] = {}
    for number, values in rows_iter:
        texts = {key: _cell_text(get(values, key)) for key in positions}
        if not any(texts.values()) or {texts.get("seq"), texts.get("name")} & TOTAL_WORDS:
            continue
        if len(result) >= settings.ANJU_IMPORT_MAX_ROWS:
            raise ImportFileError(f"文件行数超过 {settings.ANJU_IMPORT_MAX_ROWS} 行。")
        raw_id = get(values, "id_number")
        id_number = crypto.normalize_number(texts.get("id_number", ""))
        amount = _amount(get(values, "amount"))
        row = ResultRow(
            row=number,
            name=texts.get("name", ""),
            id_masked=crypto.mask(id_number) if id_number else "",
            amount=f"{amount:.2f}" if amount is not None else texts.get("amount", ""),
            reason=texts.get("reason", "")[:200],
        )
        result.append(row)
        row.outcome, row.error = _outcome(texts.get("status", ""), row.reason)
        numeric_id = isinstance(raw_id, int | float)
        if numeric_id:
            # Excel kept only 15 digits of a number cell: the ID cannot be trusted.
            id_number = ""
        line, problem = _line_for(by_hash, by_seq, id_number, amount, texts.get("seq", ""))
        if problem and numeric_id:
            problem = "身份证号单元格是数字格式，Excel 已丢失末几位数字，且无法按排序序号对应"
        if problem:
            row.error = row.error or problem
            continue
        if line.pk in seen:
            row.error = row.error or f"与第{seen[line.pk]}行对应同一条拨付明细"
            continue
        seen[line.pk] = number
        row.line, row.before = line.pk, line.status
        if not row.error:
            row.action, row.error = _action(line, row)
    return result


def _line_for(by_hash, by_seq, id_number: str, amount, seq_text: str):
    """(line, problem): by 户主身份证号 (hash) + 补贴金额; by 排序序号 when the ID cannot decide."""
    seq = int(seq_text) if seq_text.isdigit() else None
    by_seq_line = by_seq.get(seq) if seq is not None else None
    if id_number:
        candidates = by_hash.get(crypto.search_hash(id_number), [])
        if amount is not None:
            candidates = [c for c in candidates if c.amount == amount]
        if len(candidates) == 1:
            return candidates[0], ""
        if len(candidates) > 1 and by_seq_line in candidates:
            return by_seq_line, ""
        if not candidates:
            return None, "本批次中没有身份证号和补贴金额都相符的拨付明细"
        return None, "本批次中有多条相符的拨付明细，请填写排序序号"
    if by_seq_line is None:
        if seq is not None:
            return None, f"排序序号 {seq} 在本批次中不存在"
        return None, "缺少户主身份证号和排序序号，无法对应拨付明细"
    if amount is not None and by_seq_line.amount != amount:
        return None, f"排序序号 {seq} 的补贴金额与本批次明细不符"
    return by_seq_line, ""


def _action(line: PayoutLine, row: ResultRow) -> tuple[str, str]:
    if row.outcome == "paid":
        if line.status == LineStatus.FAILED:
            return KEEP, (
                f"该明细已登记为拨付失败（{line.failure_reason}），不能改为已支付，请与财政核实"
            )
        return (KEEP if line.status == LineStatus.PAID else MARK_PAID), ""
    if row.outcome == "failed":
        return (KEEP if line.status == LineStatus.FAILED else MARK_FAILED), ""
    return KEEP, ""


# --- applying the result ----------------------------------------------------------------


def result_apply(
    *, batch: PayoutBatch, by: User, rows: list[ResultRow], version: int
) -> dict[str, int]:
    """Mark every previewed line paid or failed, all or nothing; refused if anything moved."""
    if any(r.error for r in rows):
        raise DomainError("支付结果文件中有无法对应或有误的行，均未登记。请更正后重新上传。")
    return services.batch_apply_results(
        batch=batch,
        by=by,
        version=version,
        results=[
            services.LineResult(r.line, r.before, r.action == MARK_PAID, r.reason)
            for r in rows
            if r.action in (MARK_PAID, MARK_FAILED)
        ],
    )


# --- the result file as a kind of the import pipeline --------------------------------------


@dataclass(frozen=True)
class ResultPlan:
    rows: list[ResultRow]

    @property
    def counts(self) -> dict[str, int]:
        return {"error": sum(1 for r in self.rows if r.error)}


def _parse_stored(data: bytes, record: PayoutResultImport) -> list[ResultRow]:
    rows = parse_result(record.batch, data)
    if not rows:
        raise ImportFileError("文件中没有数据行。")
    return rows


def _store_preview(record: PayoutResultImport, plan: ResultPlan) -> None:
    rows = plan.rows
    matched = sum(1 for r in rows if r.line)
    record.row_count = len(rows)
    record.error_count = plan.counts["error"]
    record.preview = {
        "rows": [asdict(r) for r in rows],
        "to_pay": sum(1 for r in rows if r.action == MARK_PAID),
        "to_fail": sum(1 for r in rows if r.action == MARK_FAILED),
        "unmatched": record.batch.lines.count() - matched,
    }


def _write(plan: ResultPlan, *, record: PayoutResultImport, by: User) -> None:
    counts = result_apply(batch=record.batch, by=by, rows=plan.rows, version=record.batch_version)
    record.paid_count, record.failed_count = counts["paid"], counts["failed"]


def _result_fields(fields: dict) -> dict:
    batch = fields["batch"]
    if batch.status not in services.RESULT_BATCH_STATUSES:
        raise DomainError(services.NOT_PAID_YET)
    return fields | {"batch_version": batch.version}


PAYOUT_RESULT = pipeline.register(
    ImportSpec(
        name="payout_result",
        model=PayoutResultImport,
        roles=services.PAY_ROLES,
        action="导入财政支付结果（仅限县住建局）",
        parse=_parse_stored,
        plan=lambda rows, record, *, lock: ResultPlan(rows),
        store_preview=_store_preview,
        write=_write,
        default_filename="支付结果.xlsx",
        # The bureau's file is corrected and sent again as a whole.
        partial=False,
        refused=lambda record, unit: (
            "支付结果文件中有无法对应或有误的行，均未登记。请更正后重新上传。"
        ),
        clean=_result_fields,
        # The rows are matched to the batch's lines while parsed: match them again.
        keep_rows=False,
        audit_key="payout_result_import",
    )
)


def result_upload(*, batch: PayoutBatch, by: User, uploaded) -> PayoutResultImport:
    """Check, match and preview the bureau's file for `batch`; stores it, marks nothing."""
    return pipeline.upload(PAYOUT_RESULT, by=by, uploaded=uploaded, batch=batch)


def result_confirm(*, record: PayoutResultImport, by: User) -> PayoutResultImport:
    """Mark the previewed lines paid or failed, all or nothing (the file matched again)."""
    return pipeline.confirm(PAYOUT_RESULT, record, by=by)
