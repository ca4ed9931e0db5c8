"""拨付批次: payout batches and lines, from creation to the finance result, and what a
project has been paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import Area, User
from accounts.scoping import HELD_PARENT
from core import crypto
from core.audit import attributed
from core.errors import ConflictError, DomainError
from core.locking import lock_all_for_update, lock_for_update
from core.rules import date_given, require_role
from core.uploads import DOCUMENT_TYPES, files_removed_on_error, store_upload, validate_upload
from renovation.models import RenovationProject
from subsidies.models import (
    PAYABLE_PROJECT_STATUSES,
    DisasterReadmission,
    DisasterRebuildSubsidy,
    FundAllocation,
    FundingSource,
    HistoricRenovation,
    LineStatus,
    PayoutBatch,
    PayoutLine,
    TownshipAdvance,
)
from subsidies.services._common import (
    BATCH_ROLES,
    CENT,
    CONFLICT_MESSAGE,
    NO_ACCOUNT,
    NOT_ACCEPTED,
    PAY_ROLES,
    SAME_SUBMITTER,
    B,
    LinesRefused,
    _county_of,
    _d,
    _lock_batch,
    _lock_projects,
    _money,
    _save,
    _yuan,
)
from subsidies.services.funds import (
    _allocation_of,
    _check_allocation,
)

# --- batches ---------------------------------------------------------------------------


def _next_number(county: Area, day: dt.date) -> str:
    prefix = f"BF{day.year}-"
    last = (
        PayoutBatch.objects.unscoped("numbers are unique county-wide")
        .filter(county=county, number__startswith=prefix)
        .aggregate(m=Max("number"))
        .get("m")
    )
    seq = int(last.removeprefix(prefix)) + 1 if last and last.removeprefix(prefix).isdigit() else 1
    return f"{prefix}{seq:03d}"


@attributed
def batch_create(
    *,
    by: User,
    title: str,
    batch_date: dt.date,
    funding_source: str = "",
    allocation: FundAllocation | None = None,
    note: str = "",
) -> PayoutBatch:
    require_role(by, BATCH_ROLES, "创建拨付批次（仅限县住建局审核员）")
    title = (title or "").strip()
    if not title:
        raise DomainError("请填写批次名称。")
    allocation = _allocation_of(by, allocation)
    if allocation is not None:
        funding_source = allocation.level  # the batch is paid from the allocation's level
    if funding_source not in FundingSource.values:
        raise DomainError("请选择资金来源。")
    if batch_date is None:
        raise DomainError("请填写批次日期。")
    county = _county_of(by)
    with transaction.atomic():
        # One number per county: serialise creation per county on the county's row. This lock
        # waits (no NOWAIT): it is a mutex held for one INSERT, not a row a user acts on.
        Area.objects.select_for_update().get(pk=county.pk)
        return PayoutBatch.objects.create(
            county=county,
            number=_next_number(county, batch_date),
            title=title[:100],
            batch_date=batch_date,
            funding_source=funding_source,
            allocation=allocation,
            note=(note or "").strip(),
            created_by=by,
        )


@attributed
def batch_set_allocation(
    *, batch: PayoutBatch, by: User, allocation: FundAllocation, version: int | None = None
) -> PayoutBatch:
    """Choose the allocation a draft batch draws on (refused if it would overdraw it)."""
    require_role(by, BATCH_ROLES, "编辑拨付批次（仅限县住建局审核员）")
    allocation = _allocation_of(by, allocation)
    if allocation is None:
        raise DomainError("请选择资金指标。")
    with transaction.atomic():
        batch = _lock_batch(batch, by, version)
        if batch.status != B.DRAFTED:
            raise DomainError("只有草稿状态的批次可以更换资金指标。")
        batch.allocation = allocation
        batch.funding_source = allocation.level
        batch.save(update_fields=["allocation", "funding_source"])
        _check_allocation(batch)
        return _save(batch)


def lines_total(project: RenovationProject) -> Decimal:
    """Sum of the project's paid and pending lines (failed ones do not count)."""
    return PayoutLine.objects.unscoped("of the held project").filter(project=project).exclude(
        status=LineStatus.FAILED
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")


def advances_total(project: RenovationProject) -> Decimal:
    return TownshipAdvance.objects.unscoped("of the held project").filter(
        project=project
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")


def paid_total(project: RenovationProject) -> Decimal:
    """What has gone out for the project: its lines that did not fail and the township's
    advances (an advance is settled against the first payout: the roster pays the rest).
    The database checks the same sum (subsidies.models triggers)."""
    return lines_total(project) + advances_total(project)


def _failed_account_not_corrected(project: RenovationProject) -> bool:
    """The project's latest line failed and the household's account is still the one it
    failed on: the account goes back to the household's record for correction first."""
    latest = (
        PayoutLine.objects.unscoped("of the held project")
        .filter(project=project)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or latest.status != LineStatus.FAILED:
        return False
    return latest.account == crypto.normalize_number(project.household.bank_account or "")


def line_refusal(
    project: RenovationProject, amount: Decimal, *, batch: PayoutBatch | None = None
) -> str | None:
    """Why this payout line may not exist (rules 1, 3, 4, 5), or None."""
    name = project.household.head_name
    if project.status not in PAYABLE_PROJECT_STATUSES or project.accepted_on is None:
        return f"{name}：{NOT_ACCEPTED}。"
    if batch is not None and batch.paid_on and project.accepted_on > batch.paid_on:
        return (
            f"{name}：竣工验收日期为{_d(project.accepted_on)}，"
            f"批次拨付日期{_d(batch.paid_on)}早于验收日期，不能拨付。"
        )
    approved = project.approved_amount or Decimal("0")
    already = paid_total(project)
    if already + amount > approved:
        advanced = advances_total(project)
        advance_note = f"，其中乡镇垫付{_yuan(advanced)}元" if advanced else ""
        return (
            f"{name}：拨付合计{_yuan(already + amount)}元将超过核定补助金额"
            f"{_yuan(approved)}元（已拨付或待拨付{_yuan(already)}元{advance_note}）。"
        )
    if _failed_account_not_corrected(project):
        return (
            f"{name}：上次拨付失败（卡号与户名不一致等），一卡通账号尚未更正，"
            "请先在农户信息中更正账号并经县住建局确认。"
        )

    def readmitted() -> bool:  # 因灾再次纳入: the one way to a second subsidy (rule 4)
        return DisasterReadmission.objects.unscoped(HELD_PARENT).filter(project=project).exists()

    earlier = (
        PayoutLine.objects.unscoped("of the held project's household")
        .filter(project__household_id=project.household_id)
        .exclude(project=project)
        .exclude(status=LineStatus.FAILED)
        .select_related("project")
        .first()
    )
    if earlier and not readmitted():
        return (
            f"{name}：该户已享受过{earlier.project.year}年度危房改造补助，"
            "未经因灾再次纳入（须有灾害损毁证明）不能再次补助。"
        )
    historic = (
        HistoricRenovation.objects.unscoped("of the held project's household")
        .filter(household_id=project.household_id, year__lt=project.year)
        .order_by("-year")
        .first()
    )
    if historic and not readmitted():
        return (
            f"{name}：该户已于{historic.year}年享受过危房改造补助（{historic.method}，"
            f"{_yuan(historic.amount)}元，历年记录），未经因灾再次纳入（须有灾害损毁证明）"
            "不能再次补助。"
        )
    if (
        DisasterRebuildSubsidy.objects.unscoped("of the held project's household")
        .filter(household_id=project.household_id, year=project.year)
        .exists()
    ):
        return f"{name}：该户{project.year}年已享受灾后重建补助，不能同时享受危房改造补助。"
    if not project.household.bank_account:
        return f"{name}：{NO_ACCOUNT}。"
    return None


@dataclass(frozen=True)
class LineRequest:
    project: RenovationProject
    amount: Decimal | None = None  # None: what is still outstanding on the project
    note: str = ""


@attributed
def batch_add_lines(
    *, batch: PayoutBatch, by: User, items: Sequence[LineRequest]
) -> list[PayoutLine]:
    """Add lines to a draft batch: all or nothing, with a reason for each refused row."""
    require_role(by, BATCH_ROLES, "编辑拨付批次（仅限县住建局审核员）")
    if not items:
        raise DomainError("请至少选择一个项目。")
    with transaction.atomic():
        batch = _lock_batch(batch, by)
        if batch.status != B.DRAFTED:
            raise DomainError(f"批次当前状态为“{batch.get_status_display()}”，不能再添加明细。")
        visible = set(
            RenovationProject.objects.visible_to(by)
            .filter(pk__in=[i.project.pk for i in items])
            .values_list("pk", flat=True)
        )
        projects = _lock_projects(sorted(visible))
        errors: dict[int, str] = {}
        created: list[PayoutLine] = []
        seen: set[int] = set()
        for item in items:
            pk = item.project.pk
            project = projects.get(pk)
            if project is None:
                errors[pk] = "项目不存在或不在您的管辖区划内。"
                continue
            if (
                pk in seen
                or PayoutLine.objects.unscoped("of the locked batch")
                .filter(batch=batch, project=project)
                .exists()
            ):
                errors[pk] = f"{project.household.head_name}：该项目已在本批次中。"
                continue
            seen.add(pk)
            if item.amount is None:
                amount = (project.approved_amount or Decimal("0")) - paid_total(project)
                if amount <= 0:
                    errors[pk] = (
                        line_refusal(project, CENT, batch=batch)
                        or f"{project.household.head_name}：该项目补助已全部拨付。"
                    )
                    continue
            else:
                try:
                    amount = _money(item.amount, "补助金额")
                except DomainError as exc:
                    errors[pk] = f"{project.household.head_name}：{exc}"
                    continue
            reason = line_refusal(project, amount, batch=batch)
            if reason:
                errors[pk] = reason
                continue
            household = project.household
            line = PayoutLine(
                batch=batch,
                project=project,
                amount=amount,
                account=crypto.normalize_number(household.bank_account),
                account_masked=crypto.mask_account(household.bank_account),
                bank_name=household.bank_name,
                note=(item.note or "")[:200],
                created_by=by,
            )
            # Saved now, so that the next row's total and double-subsidy checks see it.
            line.save()
            created.append(line)
        if errors:
            raise LinesRefused(
                f"未添加：{len(errors)}个项目不符合拨付条件，所选项目均未加入批次。", errors
            )
        _check_allocation(batch)
        _save(batch)
        return created


@attributed
def batch_remove_line(*, line: PayoutLine, by: User) -> None:
    require_role(by, BATCH_ROLES, "编辑拨付批次（仅限县住建局审核员）")
    with transaction.atomic():
        batch = _lock_batch(line.batch, by)
        if batch.status != B.DRAFTED:
            raise DomainError("只有草稿状态的批次可以删除明细。")
        PayoutLine.objects.filter(pk=line.pk, batch=batch).delete()
        _save(batch)


@attributed
def batch_submit(*, batch: PayoutBatch, by: User, version: int | None = None) -> PayoutBatch:
    """The batch goes to the finance bureau; its lines are checked once more."""
    require_role(by, BATCH_ROLES, "提交拨付批次（仅限县住建局审核员）")
    with transaction.atomic():
        batch = _lock_batch(batch, by, version)
        if batch.status != B.DRAFTED:
            raise DomainError(f"批次当前状态为“{batch.get_status_display()}”，不能提交。")
        lines = list(batch.lines.select_related("project", "project__household"))
        if not lines:
            raise DomainError("批次中没有拨付明细，不能提交。")
        problems = []
        for line in lines:
            project = line.project
            if project.status not in PAYABLE_PROJECT_STATUSES or project.accepted_on is None:
                problems.append(f"{project.household.head_name}：{NOT_ACCEPTED}。")
        if problems:
            raise DomainError("批次不能提交：" + "；".join(problems))
        if batch.allocation_id is None:
            raise DomainError("请先选择本批次使用的资金指标（文号），再提交财政。")
        _check_allocation(batch)
        return _save(batch, status=B.SUBMITTED, submitted_by=by, submitted_at=timezone.now())


@attributed
def batch_return(*, batch: PayoutBatch, by: User, version: int | None = None) -> PayoutBatch:
    """A submitted batch back to draft (the finance bureau sent it back)."""
    require_role(by, PAY_ROLES, "退回拨付批次")
    with transaction.atomic():
        batch = _lock_batch(batch, by, version)
        if batch.status != B.SUBMITTED:
            raise DomainError("只有已提交的批次可以退回。")
        return _save(batch, status=B.DRAFTED, submitted_by=None, submitted_at=None)


def _four_eyes(batch: PayoutBatch, by: User) -> None:
    if batch.submitted_by_id and batch.submitted_by_id == by.pk:
        raise DomainError(f"{SAME_SUBMITTER}、导入支付结果或对账，请由其他人员操作。")


@attributed
def batch_pay(
    *,
    batch: PayoutBatch,
    by: User,
    paid_on: dt.date,
    voucher=None,
    version: int | None = None,
    today: dt.date | None = None,
) -> PayoutBatch:
    """The finance bureau paid: payment date (never before any line's acceptance), voucher."""
    require_role(by, PAY_ROLES, "确认拨付（仅限县住建局）")
    date_given(paid_on, "拨付日期", today)
    info = validate_upload(voucher, allowed=DOCUMENT_TYPES, label="拨付凭证") if voucher else None
    if info is None:
        raise DomainError("请上传拨付凭证（PDF或图片）。")
    with transaction.atomic(), files_removed_on_error() as stored:
        batch = _lock_batch(batch, by, version)
        if batch.status != B.SUBMITTED:
            raise DomainError(f"批次当前状态为“{batch.get_status_display()}”，不能确认拨付。")
        _four_eyes(batch, by)
        lines = list(batch.lines.select_related("project", "project__household"))
        early = [
            line
            for line in lines
            if line.project.accepted_on is None or line.project.accepted_on > paid_on
        ]
        if early:
            # Document 004: accepted 25 Nov, paid 23 Nov — a finding.
            details = "；".join(
                f"{line.project.household.head_name}（竣工验收日期"
                f"{_d(line.project.accepted_on) if line.project.accepted_on else '未验收'}）"
                for line in early
            )
            raise DomainError(
                f"拨付日期{_d(paid_on)}早于竣工验收日期，不能拨付：{details}。"
                "补助资金须在竣工验收后拨付。"
            )
        store_upload(batch, "voucher", voucher, info, stored)
        batch.voucher_content_type = info.content_type
        batch = _save(batch, status=B.PAID, paid_on=paid_on, paid_by=by, paid_at=timezone.now())
        PayoutLine.objects.unscoped("of the locked batch").filter(
            batch=batch, status=LineStatus.PENDING
        ).update(status=LineStatus.PAID)
        return batch


@attributed
def batch_reconcile(*, batch: PayoutBatch, by: User, version: int | None = None) -> PayoutBatch:
    require_role(by, PAY_ROLES, "对账（仅限县住建局）")
    with transaction.atomic():
        batch = _lock_batch(batch, by, version)
        if batch.status != B.PAID:
            raise DomainError(f"批次当前状态为“{batch.get_status_display()}”，不能对账。")
        _four_eyes(batch, by)
        if batch.paid_by_id == by.pk:
            raise DomainError("确认拨付人不能同时对账，请由第三人操作。")
        return _save(batch, status=B.RECONCILED, reconciled_by=by, reconciled_at=timezone.now())


# The finance bureau's result is a step of a paid batch: after the payment date and the
# voucher are recorded, before reconciliation (issue 16 point 3).
RESULT_BATCH_STATUSES = (B.PAID,)
NOT_PAID_YET = "财政支付结果须在确认拨付（登记拨付日期和凭证）之后导入。"


@attributed
def line_mark_failed(*, line: PayoutLine, by: User, reason: str) -> PayoutLine:
    """The finance bureau could not pay this line (wrong account, closed card, ...).

    Used by the import of the bureau's result file; the amount no longer counts as paid.
    """
    require_role(by, PAY_ROLES, "登记拨付失败")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写拨付失败原因。")
    with transaction.atomic():
        batch = _lock_batch(line.batch, by)
        if batch.status not in RESULT_BATCH_STATUSES:
            raise DomainError(NOT_PAID_YET)
        _four_eyes(batch, by)
        locked = lock_for_update(
            PayoutLine.objects.unscoped("a line of the locked batch").filter(batch=batch),
            line.pk,
            busy=CONFLICT_MESSAGE,
        )
        if locked.status == LineStatus.FAILED:
            raise DomainError("该明细已登记为拨付失败。")
        locked.status = LineStatus.FAILED
        locked.failure_reason = reason[:200]
        locked.save(update_fields=["status", "failure_reason"])
        _save(batch, results_by=by, results_at=timezone.now())
        return locked


@dataclass(frozen=True)
class LineResult:
    """One line of the finance bureau's result: paid, or failed with `reason`.

    `expected_status` is the line's status when the result was previewed: if it has changed
    since, nothing is applied.
    """

    line_id: int
    expected_status: str
    paid: bool
    reason: str = ""


@attributed
def batch_apply_results(
    *, batch: PayoutBatch, by: User, results: Sequence[LineResult], version: int | None = None
) -> dict[str, int]:
    """Mark lines paid or failed from the bureau's result file: all or nothing."""
    require_role(by, PAY_ROLES, "导入财政支付结果（仅限县住建局）")
    with transaction.atomic():
        locked = _lock_batch(batch, by, version)
        if locked.status not in RESULT_BATCH_STATUSES:
            raise DomainError(NOT_PAID_YET)
        _four_eyes(locked, by)
        wanted = PayoutLine.objects.unscoped("lines of the locked batch").filter(
            pk__in=[r.line_id for r in results]
        )
        lines = {line.pk: line for line in lock_all_for_update(wanted, busy=CONFLICT_MESSAGE)}
        for r in results:
            line = lines.get(r.line_id)
            if line is None or line.batch_id != locked.pk or line.status != r.expected_status:
                raise ConflictError("拨付明细在预览后已被修改，请重新上传支付结果文件。")
        paid = [lines[r.line_id] for r in results if r.paid]
        failed = [(lines[r.line_id], (r.reason or "").strip()) for r in results if not r.paid]
        if any(line.status == LineStatus.FAILED for line in paid):
            raise DomainError("已登记为拨付失败的明细不能改为已拨付，请与财政核实。")
        if any(not reason for _, reason in failed):
            raise DomainError("请填写拨付失败原因。")
        for line in paid:
            line.status = LineStatus.PAID
        for line, reason in failed:
            line.status, line.failure_reason = LineStatus.FAILED, reason[:200]
        # One statement per kind of change, and the batch's version once.
        PayoutLine.objects.bulk_update(paid, ["status"])
        PayoutLine.objects.bulk_update([line for line, _ in failed], ["status", "failure_reason"])
        _save(locked, results_by=by, results_at=timezone.now())
        return {"paid": len(paid), "failed": len(failed)}
