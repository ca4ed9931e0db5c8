"""Rectification (整改): campaigns, ledger items, progress and evidence, complaints, self-check.

Every item concerns one area (the smallest one the problem is about: county, township or
village) and is scoped by its code: a township sees the items of its township and villages,
the county bureau sees all of them. State changes live in `rectification.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Area
from accounts.scoping import Scope, ScopedQuerySet, scoped_queryset
from core.audit import tracked
from core.imports.models import ImportRecord, ImportStatus  # noqa: F401 - ImportStatus re-exported
from core.uploads import stored_name
from households.models import Household

AreaScoped = scoped_queryset("area")
ItemScoped = scoped_queryset("item__area")


class Source(models.TextChoices):
    NATIONAL = "national", "国家考核评估"
    PROVINCIAL = "provincial", "省后评估"
    THIRD_PARTY = "third_party", "第三方评估"
    UNANNOUNCED = "unannounced", "暗访"
    ONE_TO_ONE = "one_to_one", "一对一反馈"
    SELF_CHECK = "self_check", "自查"
    PUBLIC = "public", "群众反映"
    CITY_SPOT_CHECK = "city_spot_check", "市级抽查"
    PROVINCE_SPOT_CHECK = "province_spot_check", "省级抽查"


class ProblemType(models.TextChoices):
    # The two headings of the ledger in document 004, in this order.
    POLICY = "policy", "政策落实方面"
    WORK = "work", "工作落实方面"


class DeadlineKind(models.TextChoices):
    DATE = "date", "限期整改"
    IMMEDIATE = "immediate", "立行立改"
    LONG_TERM = "long_term", "长期坚持"


class ItemStatus(models.TextChoices):
    OPEN = "open", "待整改"
    IN_PROGRESS = "in_progress", "整改中"
    SUBMITTED = "submitted", "已提交待核验"
    CLOSED = "closed", "已销号"


def evidence_upload_to(instance, filename):
    return stored_name(instance, "rectification")


class CampaignQuerySet(ScopedQuerySet):
    # A campaign belongs to a county; everyone in the county sees it.
    scope = Scope(code="area__code", county_wide=True)


@tracked()
class RectificationCampaign(models.Model):
    """整改批次, e.g. "2022年度考核评估反馈问题整改"."""

    name = models.CharField("批次名称", max_length=150)
    source = models.CharField("问题来源", max_length=20, choices=Source.choices)
    area = models.ForeignKey(
        Area,
        verbose_name="所属县",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    plan_and_ledger_due = models.DateField("整改方案和台账报送期限", null=True, blank=True)
    report_due = models.DateField("整改报告报送期限", null=True, blank=True)
    note = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = "整改批次"
        verbose_name_plural = "整改批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


@tracked()
class RectificationItem(models.Model):
    campaign = models.ForeignKey(
        RectificationCampaign,
        verbose_name="整改批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    source = models.CharField("问题来源", max_length=20, choices=Source.choices)
    problem_type = models.CharField("类型", max_length=10, choices=ProblemType.choices)
    sub_type = models.CharField("子类型", max_length=100, blank=True)
    title = models.CharField("具体问题", max_length=300)
    findings = models.TextField("问题简述")
    area = models.ForeignKey(
        Area, verbose_name="涉及区划", on_delete=models.PROTECT, related_name="+"
    )
    households = models.ManyToManyField(
        Household, verbose_name="涉及农户", blank=True, related_name="rectification_items"
    )
    measures = models.TextField("整改措施", blank=True)
    deadline_kind = models.CharField(
        "整改时限类型", max_length=10, choices=DeadlineKind.choices, default=DeadlineKind.DATE
    )
    deadline = models.DateField("整改期限", null=True, blank=True)
    responsible_unit = models.CharField("责任单位", max_length=200)
    first_responsible = models.CharField(
        "第一责任人", max_length=50, blank=True, help_text="主要领导"
    )
    direct_responsible = models.CharField(
        "直接责任人", max_length=50, blank=True, help_text="分管领导"
    )
    remarks = models.TextField("备注", blank=True)
    # A problem found by a city or province spot check: that level verifies its close-out.
    spot_check = models.ForeignKey(
        "SpotCheck",
        verbose_name="抽查",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    verifier_area = models.ForeignKey(
        Area,
        verbose_name="销号核验单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="上级抽查发现的问题由提出问题的市、省核验销号；空表示县住建局核验。",
    )
    status = models.CharField(
        "状态", max_length=12, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="销号核验人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_on = models.DateField("销号日期", null=True, blank=True)
    close_note = models.TextField("核验意见", blank=True)
    reopen_count = models.PositiveSmallIntegerField("退回次数", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = AreaScoped.as_manager()

    class Meta:
        verbose_name = "整改问题"
        verbose_name_plural = "整改问题"
        ordering = ["problem_type", "id"]
        constraints = [
            models.CheckConstraint(
                name="rectification_date_deadline_has_date",
                condition=~Q(deadline_kind="date") | Q(deadline__isnull=False),
            ),
            models.CheckConstraint(
                name="rectification_closed_has_verifier",
                condition=~Q(status="closed") | Q(closed_by__isnull=False, closed_on__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="rect_status_deadline_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("rectification:item_detail", args=[self.pk])

    @property
    def final_due(self):
        """The date the item must be done by (long-term: the last stage goal), or None."""
        if self.deadline_kind == DeadlineKind.LONG_TERM:
            dates = [s.due_on for s in self.stages.all() if s.due_on]
            return max(dates) if dates else None
        if self.deadline_kind == DeadlineKind.DATE:
            return self.deadline
        return None

    @property
    def is_overdue(self) -> bool:
        due = self.final_due
        return bool(due and self.status != ItemStatus.CLOSED and due < timezone.localdate())

    @property
    def deadline_label(self) -> str:
        if self.deadline_kind == DeadlineKind.IMMEDIATE:
            return "立行立改"
        due = self.final_due
        text = f"{due.year}年{due.month}月{due.day}日" if due else ""
        if self.deadline_kind == DeadlineKind.LONG_TERM:
            return f"{text}（长期坚持）" if text else "长期坚持"
        return text


@tracked()
class RectificationStage(models.Model):
    """A stage goal of a long-term item (长期坚持): what is due by when, and when it was done."""

    item = models.ForeignKey(
        RectificationItem, on_delete=models.CASCADE, related_name="stages", verbose_name="问题"
    )
    goal = models.CharField("阶段目标", max_length=300)
    due_on = models.DateField("完成期限")
    done_on = models.DateField("完成日期", null=True, blank=True)

    objects = ItemScoped.as_manager()

    class Meta:
        verbose_name = "阶段目标"
        verbose_name_plural = "阶段目标"
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.goal


@tracked()
class ProgressNote(models.Model):
    item = models.ForeignKey(
        RectificationItem, on_delete=models.CASCADE, related_name="notes", verbose_name="问题"
    )
    content = models.TextField("整改进展")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="填报人"
    )
    created_at = models.DateTimeField("填报时间", auto_now_add=True)

    objects = ItemScoped.as_manager()

    class Meta:
        verbose_name = "整改进展"
        verbose_name_plural = "整改进展"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.content[:30]


@tracked()
class Evidence(models.Model):
    """A photo or PDF proving the rectification (佐证材料); served only through a view."""

    item = models.ForeignKey(
        RectificationItem, on_delete=models.CASCADE, related_name="evidence", verbose_name="问题"
    )
    note = models.ForeignKey(
        ProgressNote,
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
        verbose_name="整改进展",
    )
    file = models.FileField("佐证材料", upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ItemScoped.as_manager()

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or f"佐证材料 {self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("rectification:evidence_file", args=[self.pk])


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", "电话"
    EMAIL = "email", "电子邮件"
    VISIT = "visit", "来访"


@tracked()
class Complaint(models.Model):
    """群众反映: every call, e-mail and visit goes into this work ledger (document 000)."""

    area = models.ForeignKey(
        Area, verbose_name="涉及区划", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("反映渠道", max_length=10, choices=ComplaintChannel.choices)
    received_on = models.DateField("受理日期")
    contact = models.CharField("反映人及联系方式", max_length=100, blank=True)
    content = models.TextField("反映内容")
    handler = models.CharField("承办人", max_length=50, blank=True)
    reply = models.TextField("答复情况", blank=True)
    closed = models.BooleanField("已办结", default=False)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    item = models.OneToOneField(
        RectificationItem,
        verbose_name="转入整改台账",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaint",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = AreaScoped.as_manager()

    class Meta:
        verbose_name = "群众反映"
        verbose_name_plural = "群众反映"
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="complaint_closed_has_date",
                condition=Q(closed=False) | Q(closed_on__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.received_on:%Y-%m-%d}"


class FindingStatus(models.TextChoices):
    OPEN = "open", "待处理"
    DISMISSED = "dismissed", "已排除"
    CONVERTED = "converted", "已转入整改台账"
    RESOLVED = "resolved", "已消除"


# Filled by rectification.selfcheck as its rules register (loaded in the app's ready()), so
# the model names a rule without importing the module that imports the model.
RULE_LABELS: dict[str, str] = {}


@tracked()
class SelfCheckFinding(models.Model):
    """One problem the self-check found; `subject` names what it is about, `fingerprint` the data.

    The same subject with the same fingerprint is the same finding: a run does not add it again,
    and a dismissed one stays dismissed until its data (fingerprint) changes.
    """

    rule = models.CharField("规则", max_length=50)
    subject = models.CharField("对象", max_length=200)
    households = models.ManyToManyField(
        Household, verbose_name="涉及农户", blank=True, related_name="+"
    )
    area = models.ForeignKey(
        Area, verbose_name="涉及区划", on_delete=models.PROTECT, related_name="+"
    )
    message = models.TextField("问题描述")
    fingerprint = models.CharField("数据指纹", max_length=64)
    # The photos a photo rule compared ("i:<pk>" / "r:<pk>"), for the side-by-side page.
    photos = ArrayField(
        models.CharField(max_length=24), verbose_name="涉及照片", default=list, blank=True
    )
    status = models.CharField(
        "状态", max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    dismissed_reason = models.TextField("排除理由", blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="排除人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dismissed_at = models.DateTimeField("排除时间", null=True, blank=True)
    item = models.ForeignKey(
        RectificationItem,
        verbose_name="整改问题",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings_from_selfcheck",
    )
    first_seen = models.DateTimeField("发现时间", auto_now_add=True)
    last_seen = models.DateTimeField("最近检出", default=timezone.now)

    objects = AreaScoped.as_manager()

    class Meta:
        verbose_name = "自查发现"
        verbose_name_plural = "自查发现"
        ordering = ["rule", "area_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=Q(status="open"),
                name="selfcheck_one_open_finding_per_subject",
            )
        ]
        indexes = [models.Index(fields=["rule", "subject"], name="selfcheck_subject_idx")]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject}"

    @property
    def rule_label(self) -> str:
        return RULE_LABELS.get(self.rule, self.rule)


class LedgerImportQuerySet(ScopedQuerySet):
    # Imports are the uploader's own business.
    scope = Scope(code=None, owner="created_by")


@tracked(exclude=["preview"])
class LedgerImport(ImportRecord):
    """An uploaded ledger workbook (`core.imports.pipeline`): stored encrypted, parsed into
    `preview`, parsed again and written only on confirm."""

    campaign = models.ForeignKey(
        RectificationCampaign,
        verbose_name="整改批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField("问题来源", max_length=20, choices=Source.choices)

    objects = LedgerImportQuerySet.as_manager()

    class Meta:
        verbose_name = "整改台账导入"
        verbose_name_plural = "整改台账导入"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("rectification:import_detail", args=[self.pk])


# --- Spot checks by the city or the province (抽查) -------------------------------------


class SpotCheckQuerySet(ScopedQuerySet):
    # Seen by the level that runs it and the levels above; the counties checked see the
    # findings in their ledger, not the draw.
    scope = Scope(code="area__code")


@tracked()
class SpotCheck(models.Model):
    """A random sample of households whose archives a city or province reviews.

    The draw is recorded so that it can be shown to be random and repeated: the households
    that matched the filters, ordered by id (their number and a SHA-256 of the id list), and
    the seed given to Python's `random.Random(seed).sample`.
    """

    area = models.ForeignKey(
        Area, verbose_name="抽查单位", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("抽查名称", max_length=100)
    year = models.PositiveSmallIntegerField("年度")
    county = models.ForeignKey(
        Area,
        verbose_name="抽查县",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    project_status = models.CharField("改造项目状态", max_length=20, blank=True)
    category = models.CharField("对象类别", max_length=20, blank=True)
    sample_size = models.PositiveIntegerField("抽取户数")
    seed = models.BigIntegerField("随机种子")
    population = models.PositiveIntegerField("抽样总体户数")
    population_digest = models.CharField("抽样总体摘要（SHA-256）", max_length=64)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="抽取人", on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = SpotCheckQuerySet.as_manager()

    class Meta:
        verbose_name = "抽查"
        verbose_name_plural = "抽查"
        ordering = ["-drawn_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="spot_check_sample_positive", condition=Q(sample_size__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("rectification:spotcheck_detail", args=[self.pk])

    @property
    def source(self) -> str:
        if self.area.level == "province":
            return Source.PROVINCE_SPOT_CHECK
        return Source.CITY_SPOT_CHECK


class EntryResult(models.TextChoices):
    OK = "ok", "未发现问题"
    PROBLEM = "problem", "发现问题"


SpotEntryScoped = scoped_queryset("spot_check__area")


@tracked()
class SpotCheckEntry(models.Model):
    """One drawn household of a spot check and what the reviewer found in its archive."""

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name="抽查", on_delete=models.CASCADE, related_name="entries"
    )
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField("序号")
    result = models.CharField("核查结果", max_length=10, choices=EntryResult.choices, blank=True)
    note = models.TextField("核查意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核查人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("核查时间", null=True, blank=True)

    objects = SpotEntryScoped.as_manager()

    class Meta:
        verbose_name = "抽查农户"
        verbose_name_plural = "抽查农户"
        ordering = ["spot_check_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["spot_check", "household"], name="spot_check_household_once"
            ),
            models.UniqueConstraint(
                fields=["spot_check", "position"], name="spot_check_position_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check} #{self.position}"
