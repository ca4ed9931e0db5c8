"""Subsidies (补助资金): standards as data, payout batches and their lines, township advances,
and the records that decide double-subsidy questions (disaster re-admission, rebuild subsidy).

The payout rules hold in the database too (trust rule 6): triggers on PayoutLine and
PayoutBatch refuse a line for a project that has not passed acceptance, a total above the
approved amount, and a payment date before any line's acceptance date — even for raw SQL.
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from accounts.models import Area, Role
from accounts.scoping import Scope, scoped_queryset
from core.audit import tracked
from core.fields import EncryptedTextField
from core.imports.models import ImportRecord
from core.uploads import stored_name
from households.models import CURRENT_CATEGORIES, Category, Household
from renovation.models import ProjectScope


class LevelKind(models.TextChoices):
    # D and "no house" are rebuilt or newly built; C is repaired and reinforced.
    REBUILD = "D", "D级/无房（翻建、新建）"
    REPAIR = "C", "C级（修缮加固）"


@tracked()
class SubsidyStandard(models.Model):
    """One line of a county's subsidy standard for a year (补助标准).

    Amount for a family of n: base + (n - 1) × per_person, at most cap. The category
    groups are data too: each line names the categories it applies to.
    """

    county = models.ForeignKey(
        Area,
        verbose_name="县",
        on_delete=models.PROTECT,
        related_name="subsidy_standards",
        limit_choices_to={"level": "county"},
    )
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("类别组名称", max_length=60)
    categories = ArrayField(
        models.CharField(max_length=20, choices=Category.choices), verbose_name="适用类别"
    )
    level = models.CharField("等级/改造方式", max_length=2, choices=LevelKind.choices)
    base_amount = models.DecimalField("基础金额（元）", max_digits=10, decimal_places=2)
    per_person = models.DecimalField(
        "每增加1人增加（元）", max_digits=10, decimal_places=2, default=Decimal("0")
    )
    cap = models.DecimalField("封顶金额（元）", max_digits=10, decimal_places=2)
    # Document 003: ④⑤ D-level "最高不超过2万元" — the township decides the amount.
    township_decides = models.BooleanField(
        "由乡镇核定金额",
        default=False,
        help_text="勾选：补助金额由乡镇初审时核定，不超过封顶金额（如严重困难家庭、低保边缘家庭D级）。",
    )
    note = models.CharField("说明", max_length=200, blank=True)

    objects = scoped_queryset("county").as_manager()

    class Meta:
        verbose_name = "补助标准"
        verbose_name_plural = "补助标准"
        ordering = ["county_id", "-year", "name", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "name", "level"], name="subsidy_standard_unique_line"
            ),
            models.CheckConstraint(
                name="subsidy_standard_amounts_valid",
                condition=Q(base_amount__gte=0)
                & Q(per_person__gte=0)
                & Q(cap__gte=models.F("base_amount")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name} {self.get_level_display()}"

    def clean(self) -> None:
        if self.cap is not None and self.base_amount is not None and self.cap < self.base_amount:
            raise ValidationError({"cap": "封顶金额不能低于基础金额。"})
        if self.county_id and self.year and self.level and self.categories:
            clash = (
                SubsidyStandard.objects.filter(
                    county_id=self.county_id,
                    year=self.year,
                    level=self.level,
                    categories__overlap=self.categories,
                )
                .exclude(pk=self.pk)
                .first()
            )
            if clash:
                message = f"同一年度、同一等级下，类别不能重复出现（与“{clash.name}”重复）。"
                raise ValidationError({"categories": message})
        unknown = [c for c in self.categories or [] if c not in CURRENT_CATEGORIES]
        if unknown:
            raise ValidationError({"categories": "补助标准只适用于现行六类重点对象。"})


# --- payouts ---------------------------------------------------------------------------


class FundingSource(models.TextChoices):
    CENTRAL = "central", "中央资金"
    PROVINCIAL = "provincial", "省级资金"
    CITY = "city", "市级资金"
    COUNTY = "county", "县级资金"
    TOWNSHIP_ADVANCE = "township_advance", "乡镇垫付"


class FundLevel(models.TextChoices):
    """The level a fund allocation (资金指标) comes from."""

    CENTRAL = "central", "中央"
    PROVINCIAL = "provincial", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"


class BatchStatus(models.TextChoices):
    DRAFTED = "drafted", "草稿"
    SUBMITTED = "submitted", "已提交财政"
    PAID = "paid", "已拨付"
    RECONCILED = "reconciled", "已对账"


class LineStatus(models.TextChoices):
    PENDING = "pending", "待拨付"
    PAID = "paid", "已拨付"
    FAILED = "failed", "拨付失败"


# Statuses of a project that has passed acceptance (DOMAIN: the precondition of any payout).
PAYABLE_PROJECT_STATUSES = ("accepted", "closed")

BATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    BatchStatus.DRAFTED: frozenset({BatchStatus.SUBMITTED}),
    # A submitted batch may be sent back to draft (e.g. the finance bureau returns it).
    BatchStatus.SUBMITTED: frozenset({BatchStatus.PAID, BatchStatus.DRAFTED}),
    BatchStatus.PAID: frozenset({BatchStatus.RECONCILED}),
    BatchStatus.RECONCILED: frozenset(),
}


def _batch_transition_trigger() -> pgtrigger.Trigger:
    pairs = ", ".join(
        sorted(f"'{old}>{new}'" for old, news in BATCH_TRANSITIONS.items() for new in news)
    )
    return pgtrigger.Trigger(
        name="batch_status_transition_allowed",
        operation=pgtrigger.UpdateOf("status"),
        when=pgtrigger.Before,
        condition=pgtrigger.Q(old__status__df=pgtrigger.F("new__status")),
        func=f"""
            IF NOT ((OLD.status || '>' || NEW.status) = ANY (ARRAY[{pairs}])) THEN
                RAISE EXCEPTION '拨付批次状态不能从 % 变为 %', OLD.status, NEW.status
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        """,
    )


# No payment dated before the acceptance of any project in the batch (document 004:
# accepted 25 Nov, paid 23 Nov).
_BATCH_PAID_AFTER_ACCEPTANCE = pgtrigger.Trigger(
    name="batch_paid_not_before_acceptance",
    operation=pgtrigger.Insert | pgtrigger.Update,
    when=pgtrigger.Before,
    func="""
        IF NEW.paid_on IS NOT NULL
           AND (TG_OP = 'INSERT' OR OLD.paid_on IS DISTINCT FROM NEW.paid_on) THEN
            IF EXISTS (
                SELECT 1 FROM subsidies_payoutline l
                JOIN renovation_renovationproject p ON p.id = l.project_id
                WHERE l.batch_id = NEW.id
                  AND (p.accepted_on IS NULL OR p.accepted_on > NEW.paid_on)
            ) THEN
                RAISE EXCEPTION '拨付日期 % 早于批次中项目的竣工验收日期', NEW.paid_on
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        RETURN NEW;
    """,
)

# A line only for an accepted project, never above its approved amount, never before its
# acceptance. The project row is locked so that two transactions cannot both pass the sum.
_LINE_RULES = pgtrigger.Trigger(
    name="line_project_payable",
    operation=pgtrigger.Insert | pgtrigger.Update,
    when=pgtrigger.Before,
    declare=[
        ("p_status", "varchar"),
        ("p_accepted", "date"),
        ("p_amount", "numeric"),
        ("b_paid_on", "date"),
        ("other_total", "numeric"),
    ],
    func="""
        SELECT status, accepted_on, approved_amount INTO p_status, p_accepted, p_amount
            FROM renovation_renovationproject WHERE id = NEW.project_id FOR UPDATE;
        IF p_status IS NULL OR p_status NOT IN ('accepted', 'closed') OR p_accepted IS NULL THEN
            RAISE EXCEPTION '项目 % 尚未通过竣工验收，不能拨付补助资金', NEW.project_id
                USING ERRCODE = 'check_violation';
        END IF;
        SELECT paid_on INTO b_paid_on FROM subsidies_payoutbatch WHERE id = NEW.batch_id;
        IF b_paid_on IS NOT NULL AND p_accepted > b_paid_on THEN
            RAISE EXCEPTION '拨付日期 % 早于项目 % 的竣工验收日期 %',
                b_paid_on, NEW.project_id, p_accepted USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.status <> 'failed' THEN
            -- Township advances count as paid: the roster pays only the difference.
            SELECT COALESCE(SUM(amount), 0) INTO other_total FROM subsidies_payoutline
                WHERE project_id = NEW.project_id AND status <> 'failed'
                  AND id IS DISTINCT FROM NEW.id;
            other_total := other_total + COALESCE((SELECT SUM(amount)
                FROM subsidies_townshipadvance WHERE project_id = NEW.project_id), 0);
            IF other_total + NEW.amount > COALESCE(p_amount, 0) THEN
                RAISE EXCEPTION '项目 % 的拨付合计（含乡镇垫付）% 超过核定补助金额 %',
                    NEW.project_id, other_total + NEW.amount, COALESCE(p_amount, 0)
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        RETURN NEW;
    """,
)


# An advance, like a payout line, counts against the approved amount (issue 16 point 1).
_ADVANCE_WITHIN_APPROVED = pgtrigger.Trigger(
    name="advance_within_approved",
    operation=pgtrigger.Insert | pgtrigger.Update,
    when=pgtrigger.Before,
    declare=[("p_amount", "numeric"), ("other_total", "numeric")],
    func="""
        SELECT approved_amount INTO p_amount
            FROM renovation_renovationproject WHERE id = NEW.project_id FOR UPDATE;
        SELECT COALESCE((SELECT SUM(amount) FROM subsidies_payoutline
                          WHERE project_id = NEW.project_id AND status <> 'failed'), 0)
             + COALESCE((SELECT SUM(amount) FROM subsidies_townshipadvance
                          WHERE project_id = NEW.project_id AND id IS DISTINCT FROM NEW.id), 0)
          INTO other_total;
        IF other_total + NEW.amount > COALESCE(p_amount, 0) THEN
            RAISE EXCEPTION '项目 % 的垫付与拨付合计 % 超过核定补助金额 %',
                NEW.project_id, other_total + NEW.amount, COALESCE(p_amount, 0)
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    """,
)


def voucher_upload_to(instance, filename):
    return stored_name(instance, "subsidies/vouchers")


def proof_upload_to(instance, filename):
    return stored_name(instance, "subsidies/disaster_proofs")


def _user_fk(verbose_name: str, **kwargs):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        **kwargs,
    )


BatchQuerySet = scoped_queryset("county")


@tracked()
class FundAllocation(models.Model):
    """资金指标: funds a higher level (or the county itself) allocated, by document number;
    optionally earmarked for one township. Payout batches draw on them."""

    county = models.ForeignKey(
        Area,
        verbose_name="县",
        on_delete=models.PROTECT,
        related_name="fund_allocations",
        limit_choices_to={"level": "county"},
    )
    document_number = models.CharField("文号", max_length=80)
    issued_on = models.DateField("下达日期")
    level = models.CharField("资金级次", max_length=12, choices=FundLevel.choices)
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    township = models.ForeignKey(
        Area,
        verbose_name="指定乡镇",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "township"},
        help_text="不填：全县统筹使用。",
    )
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = scoped_queryset("county").as_manager()

    class Meta:
        verbose_name = "资金指标"
        verbose_name_plural = "资金指标"
        ordering = ["-year", "level", "issued_on", "id"]
        constraints = [
            models.CheckConstraint(name="allocation_amount_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["county", "document_number", "level"], name="allocation_document_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_number}（{self.get_level_display()} {self.year}年）"


LineQuerySet = scoped_queryset(
    "project__household__village",
    scope=ProjectScope(code="project__household__village__code", via="project__"),
)
HouseholdChildQuerySet = scoped_queryset("household__village")


@tracked()
class PayoutBatch(models.Model):
    """拨付批次: "竣工一批、验收一批、拨付一批" — a county's list for the finance bureau."""

    county = models.ForeignKey(
        Area,
        verbose_name="县",
        on_delete=models.PROTECT,
        related_name="payout_batches",
        limit_choices_to={"level": "county"},
    )
    number = models.CharField("批次编号", max_length=30)
    title = models.CharField("批次名称", max_length=100)
    batch_date = models.DateField("批次日期")
    funding_source = models.CharField("资金来源", max_length=20, choices=FundingSource.choices)
    allocation = models.ForeignKey(
        FundAllocation,
        verbose_name="资金指标",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    status = models.CharField(
        "状态", max_length=12, choices=BatchStatus.choices, default=BatchStatus.DRAFTED
    )
    note = models.TextField("备注", blank=True)
    paid_on = models.DateField("拨付日期", null=True, blank=True)
    voucher = models.FileField("拨付凭证", upload_to=voucher_upload_to, blank=True, max_length=200)
    voucher_content_type = models.CharField(max_length=40, blank=True, editable=False)
    created_by = _user_fk("创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_by = _user_fk("提交人", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    paid_by = _user_fk("确认拨付人", null=True, blank=True)
    paid_at = models.DateTimeField("确认拨付时间", null=True, blank=True)
    reconciled_by = _user_fk("对账人", null=True, blank=True)
    reconciled_at = models.DateTimeField("对账时间", null=True, blank=True)
    results_by = _user_fk("导入支付结果人", null=True, blank=True)
    results_at = models.DateTimeField("导入支付结果时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name = "拨付批次"
        verbose_name_plural = "拨付批次"
        ordering = ["-batch_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["county", "number"], name="payout_batch_number_unique"),
            models.CheckConstraint(
                name="payout_batch_paid_has_date",
                condition=~Q(status__in=["paid", "reconciled"])
                | (Q(paid_on__isnull=False) & Q(paid_by__isnull=False)),
            ),
            # Submitter, payer and reconciler are three people; whoever submitted the batch
            # does not enter the finance bureau's result either (issue 16 point 3).
            models.CheckConstraint(
                name="payout_batch_four_eyes",
                condition=(Q(paid_by__isnull=True) | ~Q(paid_by=F("submitted_by")))
                & (Q(reconciled_by__isnull=True) | ~Q(reconciled_by=F("submitted_by")))
                & (Q(reconciled_by__isnull=True) | ~Q(reconciled_by=F("paid_by")))
                & (Q(results_by__isnull=True) | ~Q(results_by=F("submitted_by"))),
            ),
        ]
        triggers = [_batch_transition_trigger(), _BATCH_PAID_AFTER_ACCEPTANCE]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("subsidies:batch_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == BatchStatus.DRAFTED


@tracked(exclude=["account"])
class PayoutLine(models.Model):
    """One household's payment in a batch; the 一卡通 account is a snapshot taken when added."""

    batch = models.ForeignKey(
        PayoutBatch, verbose_name="批次", on_delete=models.PROTECT, related_name="lines"
    )
    project = models.ForeignKey(
        "renovation.RenovationProject",
        verbose_name="改造项目",
        on_delete=models.PROTECT,
        related_name="payout_lines",
    )
    amount = models.DecimalField("补助金额（元）", max_digits=10, decimal_places=2)
    account = EncryptedTextField("一卡通账号")
    account_masked = models.CharField("一卡通账号", max_length=40, editable=False)
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    failure_reason = models.CharField("失败原因", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = LineQuerySet.as_manager()

    class Meta:
        verbose_name = "拨付明细"
        verbose_name_plural = "拨付明细"
        ordering = ["batch_id", "id"]
        constraints = [
            models.CheckConstraint(name="payout_line_amount_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(fields=["batch", "project"], name="payout_line_once_per_batch"),
            models.CheckConstraint(
                name="payout_line_failure_has_reason",
                condition=~Q(status="failed") | ~Q(failure_reason=""),
            ),
        ]
        triggers = [_LINE_RULES]

    def __str__(self) -> str:
        return f"{self.batch.number} 项目{self.project_id} {self.amount}"


@tracked(exclude=["proof_file"])
class DisasterReadmission(models.Model):
    """A household renovated before, whose house a disaster made dangerous again: with the
    township's damage proof it may get a second renovation subsidy (DOMAIN "Inspections")."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="+"
    )
    # Recorded for the household before its new application (issue 15 point 2), and linked
    # to the project the application creates; or recorded for a project directly.
    project = models.OneToOneField(
        "renovation.RenovationProject",
        verbose_name="再次改造项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disaster_readmission",
    )
    proof_file = models.FileField("灾害损毁证明", upload_to=proof_upload_to, max_length=200)
    proof_content_type = models.CharField(max_length=40, editable=False)
    note = models.TextField("说明", blank=True)
    recorded_by = _user_fk("录入人")
    recorded_on = models.DateField("录入日期")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = "因灾再次纳入"
        verbose_name_plural = "因灾再次纳入"

    def __str__(self) -> str:
        return f"因灾再次纳入（项目 {self.project_id}）"


@tracked()
class DisasterRebuildSubsidy(models.Model):
    """The disaster rebuild subsidy (村民住房灾后恢复重建) a household got in a year."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    source_note = models.CharField("来源说明", max_length=200, blank=True)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = "灾后重建补助"
        verbose_name_plural = "灾后重建补助"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year"], name="disaster_rebuild_once_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}年灾后重建补助 {self.amount}"


@tracked()
class TownshipAdvance(models.Model):
    """乡镇垫付: a township pre-finances a task by construction progress; reimbursed later
    from the county's funds (a batch)."""

    project = models.ForeignKey(
        "renovation.RenovationProject",
        verbose_name="改造项目",
        on_delete=models.PROTECT,
        related_name="township_advances",
    )
    township = models.ForeignKey(
        Area,
        verbose_name="垫付乡镇",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "township"},
    )
    amount = models.DecimalField("垫付金额（元）", max_digits=10, decimal_places=2)
    advanced_on = models.DateField("垫付日期")
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    reimbursed_on = models.DateField("归还日期", null=True, blank=True)
    reimbursed_by = _user_fk("归还录入人", null=True, blank=True)
    reimbursement_batch = models.ForeignKey(
        PayoutBatch,
        verbose_name="归还批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reimbursed_advances",
    )
    # Document 000: the township reports its advance up for reimbursement.
    reported_on = models.DateField("申请归还日期", null=True, blank=True)
    reported_by = _user_fk("申请归还人", null=True, blank=True)

    objects = LineQuerySet.as_manager()

    class Meta:
        verbose_name = "乡镇垫付"
        verbose_name_plural = "乡镇垫付"
        ordering = ["-advanced_on", "-id"]
        constraints = [
            models.CheckConstraint(name="advance_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="advance_reimbursed_after_advance",
                condition=Q(reimbursed_on__isnull=True) | Q(reimbursed_on__gte=F("advanced_on")),
            ),
        ]
        triggers = [_ADVANCE_WITHIN_APPROVED]

    def __str__(self) -> str:
        return f"{self.township} 垫付 {self.amount}"

    @property
    def is_reimbursed(self) -> bool:
        return self.reimbursed_on is not None


@tracked()
class HistoricRenovation(models.Model):
    """A renovation and its subsidy from before Anju (e.g. 2015, 5,000 yuan), imported from
    earlier years' ledgers: read-only; the double-subsidy rule, the re-admission rule, the
    dangerous-house ledger and the archive read it (issue 15 point 10)."""

    household = models.ForeignKey(
        Household,
        verbose_name="农户",
        on_delete=models.PROTECT,
        related_name="historic_renovations",
    )
    year = models.PositiveSmallIntegerField("年度")
    method = models.CharField("改造方式", max_length=20)
    amount = models.DecimalField("补助金额（元）", max_digits=10, decimal_places=2)
    completed_on = models.DateField("竣工日期", null=True, blank=True)
    source = models.CharField("来源", max_length=100)
    household_import = models.ForeignKey(
        "households.HouseholdImport",
        verbose_name="导入批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = _user_fk("导入人")
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = "历年改造记录"
        verbose_name_plural = "历年改造记录"
        ordering = ["household_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="historic_once_per_year"),
            models.CheckConstraint(name="historic_amount_positive", condition=Q(amount__gt=0)),
        ]
        triggers = [
            # Historic: written by the import, never changed afterwards.
            pgtrigger.Protect(name="historic_read_only", operation=pgtrigger.Update)
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.method} {self.amount}"


@tracked(exclude=["preview"])
class PayoutResultImport(ImportRecord):
    """The finance bureau's result file for a paid batch (`subsidies.roster`), a kind of the
    one import pipeline: stored encrypted (it holds full ID and account numbers), previewed
    with masked numbers only, matched again and applied on confirm."""

    batch = models.ForeignKey(
        PayoutBatch, verbose_name="拨付批次", on_delete=models.PROTECT, related_name="+"
    )
    # The batch as it was previewed: a change since refuses the confirm.
    batch_version = models.PositiveIntegerField("预览时的批次版本")
    paid_count = models.PositiveIntegerField("登记已拨付", default=0)
    failed_count = models.PositiveIntegerField("登记拨付失败", default=0)

    # The county's roles that record payments see each other's uploads (two people).
    objects = scoped_queryset(
        scope=Scope(
            code="area__code",
            owner="created_by",
            area_roles=frozenset({Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER}),
        )
    ).as_manager()

    class Meta(ImportRecord.Meta):
        verbose_name = "财政支付结果导入"
        verbose_name_plural = "财政支付结果导入"

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"
