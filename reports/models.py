"""Overdue alerts (超期预警) and the monthly report (月报) of each county."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Area, Role
from accounts.scoping import Scope, ScopedQuerySet
from core.audit import tracked


class AlertType(models.TextChoices):
    # DOMAIN.md "Reporting and deadlines", in that order.
    RECTIFICATION_OVERDUE = "rectification_overdue", "整改超期"
    APPRAISAL_OVERDUE = "appraisal_overdue", "新增名单超5个工作日未鉴定"
    COMPLETION_OVERDUE = "completion_overdue", "超过竣工期限未竣工"
    PAYOUT_OVERDUE = "payout_overdue", "验收后超过一个月未拨付"
    NOT_DEMOLISHED = "not_demolished", "建新未拆旧"
    D_OCCUPIED = "d_occupied", "D级危房仍住人"
    REVIEW_CAMPAIGN_DUE = "review_campaign_due", "“回头看”排查到期"


class AlertStatus(models.TextChoices):
    OPEN = "open", "未解除"
    CLOSED = "closed", "已解除"


# Who answers for an alert, besides seeing it: the county reviewers of its county and the
# township staff of its township for every type; the approving leader for late payouts (he
# confirms payments); the village committee for what happens in the village itself.
ALERT_ROLE_TYPES: dict[str, frozenset[str] | None] = {
    Role.COUNTY_REVIEWER: None,  # every type
    Role.TOWNSHIP_STAFF: None,
    Role.COUNTY_APPROVER: frozenset({AlertType.PAYOUT_OVERDUE}),
    Role.VILLAGE_CLERK: frozenset({AlertType.D_OCCUPIED, AlertType.NOT_DEMOLISHED}),
}


class AlertQuerySet(ScopedQuerySet):
    # The alert's own area (village, township or county) decides who sees it.
    area_lookup = "area"

    def responsible(self, user):
        """The alerts `user` must act on (the bell, "my alerts", the e-mail): those of the
        user's area whose type the user's role answers for (ALERT_ROLE_TYPES)."""
        qs = self.visible_to(user)
        if getattr(user, "is_superuser", False) and not getattr(user, "area_id", None):
            return qs
        role = getattr(user, "role", "")
        if role not in ALERT_ROLE_TYPES:
            return qs.none()
        types = ALERT_ROLE_TYPES[role]
        return qs if types is None else qs.filter(type__in=types)

    def open(self):
        return self.filter(status=AlertStatus.OPEN)


class Alert(models.Model):
    """One overdue condition of one object, opened and closed by the scan only.

    Not audited row by row (`@tracked`): the daily scan touches every open alert
    (last_seen_at, days overdue) and the rows are derived from audited domain data.
    """

    type = models.CharField("预警类型", max_length=30, choices=AlertType.choices)
    #: "<app>.<model>:<pk>" of the object (or "<county code>" for campaign reminders).
    object_key = models.CharField("对象", max_length=80)
    object_label = models.CharField("对象名称", max_length=200)
    url = models.CharField("链接", max_length=200, blank=True)
    area = models.ForeignKey(
        Area, verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField("期限")
    days_overdue = models.PositiveIntegerField("超期天数", default=0)
    status = models.CharField(
        "状态", max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    opened_at = models.DateTimeField("发现时间")
    closed_at = models.DateTimeField("解除时间", null=True, blank=True)
    last_seen_at = models.DateTimeField("最近核查时间")

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = "超期预警"
        verbose_name_plural = "超期预警"
        ordering = ["-days_overdue", "-opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "object_key"],
                condition=Q(status="open"),
                name="alert_one_open_per_object",
            ),
            models.CheckConstraint(
                name="alert_closed_has_time",
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "area"], name="alert_status_area_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()}：{self.object_label}"


class MonthlyReportQuerySet(ScopedQuerySet):
    # The county's report (with its ranking) is read by every area of the county.
    scope = Scope(code="county__code", county_wide=True)


@tracked()
class MonthlyReport(models.Model):
    county = models.ForeignKey(
        Area,
        verbose_name="县",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    #: The first day of the month reported on.
    month = models.DateField("月份")
    drafted_at = models.DateTimeField("生成时间", auto_now_add=True)
    refreshed_at = models.DateTimeField("更新时间", auto_now=True)
    # 县报市: the county sends its report up once every township has submitted.
    sent_at = models.DateTimeField("报送市级时间", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = "月报"
        verbose_name_plural = "月报"
        ordering = ["county_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["county", "month"], name="monthly_report_unique"),
            models.CheckConstraint(name="monthly_report_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.month:%Y年%m月}月报"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reports:monthly_detail", args=[self.pk])

    @property
    def submission_due(self):
        # DOMAIN.md: each township reports to the county by the 25th.
        return self.month.replace(day=settings.ANJU_REPORT_SUBMIT_DAY)


class RowStatus(models.TextChoices):
    DRAFT = "draft", "待报送"
    SUBMITTED = "submitted", "已报送"


RowQuerySet = type("MonthlyReportRowQuerySet", (ScopedQuerySet,), {"area_lookup": "area"})


@tracked()
class MonthlyReportRow(models.Model):
    """One township's figures (or the county total, `is_total`), frozen once submitted."""

    report = models.ForeignKey(
        MonthlyReport, verbose_name="月报", on_delete=models.CASCADE, related_name="rows"
    )
    area = models.ForeignKey(Area, verbose_name="乡镇", on_delete=models.PROTECT, related_name="+")
    is_total = models.BooleanField("全县合计", default=False)
    households_by_category = models.JSONField("各类重点对象户数", default=dict)
    households_total = models.PositiveIntegerField("重点对象户数", default=0)
    appraised_c = models.PositiveIntegerField("C级危房", default=0)
    appraised_d = models.PositiveIntegerField("D级危房", default=0)
    # The area's annual target (reports.targets; 0: none assigned) and, of the planned
    # projects, those added during the year by dynamic monitoring (issue 17 point 3).
    target = models.PositiveIntegerField("年度任务", default=0)
    planned = models.PositiveIntegerField("年度计划", default=0)
    dynamic = models.PositiveIntegerField("其中动态新增", default=0)
    started = models.PositiveIntegerField("已开工", default=0)
    completed = models.PositiveIntegerField("已竣工", default=0)
    accepted = models.PositiveIntegerField("已验收", default=0)
    paid_count = models.PositiveIntegerField("已拨付户数", default=0)
    paid_amount = models.DecimalField(
        "已拨付金额（元）", max_digits=14, decimal_places=2, default=0
    )
    demolished = models.PositiveIntegerField("已拆旧", default=0)
    overdue_alerts = models.PositiveIntegerField("超期事项", default=0)
    rectification_open = models.PositiveIntegerField("整改未销号", default=0)
    rectification_closed = models.PositiveIntegerField("整改已销号", default=0)
    completion_rate = models.DecimalField("竣工率（%）", max_digits=5, decimal_places=1, default=0)
    rank = models.PositiveSmallIntegerField("排名", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=RowStatus.choices, default=RowStatus.DRAFT
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    late = models.BooleanField("逾期报送", default=False)
    reopen_count = models.PositiveSmallIntegerField("退回次数", default=0)
    computed_at = models.DateTimeField("统计时间", null=True, blank=True)

    objects = RowQuerySet.as_manager()

    class Meta:
        verbose_name = "月报乡镇数据"
        verbose_name_plural = "月报乡镇数据"
        ordering = ["report_id", "is_total", "area_id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "area"], name="monthly_row_unique"),
            models.CheckConstraint(
                name="monthly_row_submitted_has_submitter",
                condition=~Q(status="submitted")
                | Q(submitted_by__isnull=False, submitted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.area}"

    @property
    def is_frozen(self) -> bool:
        return self.status == RowStatus.SUBMITTED


# --- Annual targets (年度任务) -------------------------------------------------------------


class TargetQuerySet(ScopedQuerySet):
    scope = Scope(code="area__code")


@tracked()
class AnnualTarget(models.Model):
    """The renovations (and optionally the funds) a higher level assigns to an area for a year.

    The current figures are here; every assignment and adjustment is a `TargetRevision`.
    """

    area = models.ForeignKey(Area, verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    renovations = models.PositiveIntegerField("改造任务（户）")
    funds = models.DecimalField(
        "补助资金（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    version = models.PositiveIntegerField("版本", default=1)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="下达人", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = "年度任务"
        verbose_name_plural = "年度任务"
        ordering = ["year", "area_id"]
        constraints = [
            models.UniqueConstraint(fields=["area", "year"], name="annual_target_once"),
            models.CheckConstraint(
                name="annual_target_funds_not_negative",
                condition=Q(funds__isnull=True) | Q(funds__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.year}年任务 {self.renovations}户"


TargetRevisionScoped = type(
    "TargetRevisionQuerySet", (ScopedQuerySet,), {"area_lookup": "target__area"}
)


class TargetRevision(models.Model):
    """One version of a target: the first assignment (1) or an adjustment, with its reason."""

    target = models.ForeignKey(
        AnnualTarget, verbose_name="年度任务", on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField("版本")
    renovations = models.PositiveIntegerField("改造任务（户）")
    funds = models.DecimalField(
        "补助资金（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField("下达/调整说明", max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    objects = TargetRevisionScoped.as_manager()

    class Meta:
        verbose_name = "年度任务版本"
        verbose_name_plural = "年度任务版本"
        ordering = ["target_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["target", "version"], name="target_revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.target} v{self.version}"
