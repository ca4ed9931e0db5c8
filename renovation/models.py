"""Renovation projects (危房改造): application to close-out, DOMAIN.md "Renovation" steps 1–13.

The allowed status changes live in one dict, `TRANSITIONS`; a database trigger generated from
it refuses any other change, even from raw SQL (trust rule 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left

from accounts.models import Area
from accounts.scoping import Scope, scoped_queryset
from core.audit import tracked
from core.offline import client_id_field
from core.uploads import stored_name
from households.models import Household


class ProjectStatus(models.TextChoices):
    APPLIED = "applied", "已申请"
    VILLAGE_REVIEWED = "village_reviewed", "村级评议通过"
    TOWNSHIP_REVIEWED = "township_reviewed", "乡镇初审通过"
    JOINT_REVIEWED = "joint_reviewed", "联合审核通过"
    PUBLICITY = "publicity", "公示中"
    APPROVED = "approved", "已批准（列入年度计划）"
    NOTIFIED = "notified", "已函告"
    UNDER_CONSTRUCTION = "under_construction", "施工中"
    COMPLETED = "completed", "已竣工"
    ACCEPTED = "accepted", "已验收"
    CLOSED = "closed", "已销号"
    DECLINED = "declined", "农户放弃（另行解决）"
    REJECTED = "rejected", "审核未通过"
    WITHDRAWN = "withdrawn", "已撤回"


S = ProjectStatus
# The main path of a project, in order (the other statuses end it early).
PATH: tuple[str, ...] = (
    S.APPLIED,
    S.VILLAGE_REVIEWED,
    S.TOWNSHIP_REVIEWED,
    S.JOINT_REVIEWED,
    S.PUBLICITY,
    S.APPROVED,
    S.NOTIFIED,
    S.UNDER_CONSTRUCTION,
    S.COMPLETED,
    S.ACCEPTED,
    S.CLOSED,
)
ENDED = frozenset({S.DECLINED, S.REJECTED, S.WITHDRAWN})
TERMINAL = ENDED | {S.CLOSED}
_BEFORE_APPROVAL_ENDS = {S.DECLINED, S.REJECTED, S.WITHDRAWN}
_AFTER_APPROVAL_ENDS = {S.DECLINED, S.WITHDRAWN}

# The one list of allowed status changes (old → new). Services, pages and the database
# trigger below all read it.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.VILLAGE_REVIEWED, *_BEFORE_APPROVAL_ENDS}),
    S.VILLAGE_REVIEWED: frozenset({S.TOWNSHIP_REVIEWED, *_BEFORE_APPROVAL_ENDS}),
    S.TOWNSHIP_REVIEWED: frozenset({S.JOINT_REVIEWED, *_BEFORE_APPROVAL_ENDS}),
    S.JOINT_REVIEWED: frozenset({S.PUBLICITY, *_BEFORE_APPROVAL_ENDS}),
    S.PUBLICITY: frozenset({S.APPROVED, *_BEFORE_APPROVAL_ENDS}),
    S.APPROVED: frozenset({S.NOTIFIED, *_AFTER_APPROVAL_ENDS}),
    S.NOTIFIED: frozenset({S.UNDER_CONSTRUCTION, *_AFTER_APPROVAL_ENDS}),
    S.UNDER_CONSTRUCTION: frozenset({S.COMPLETED, S.WITHDRAWN}),
    # A failed acceptance sends the project back to construction (issue 15 point 7).
    S.COMPLETED: frozenset({S.ACCEPTED, S.UNDER_CONSTRUCTION}),
    S.ACCEPTED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.DECLINED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# Statuses at which the project has an approved amount (checked by the database).
FUNDED = (S.APPROVED, S.NOTIFIED, S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED, S.CLOSED)
ACTIVE = tuple(s for s in S if s not in TERMINAL)


def allowed_pairs() -> list[str]:
    return sorted(f"{old}>{new}" for old, news in TRANSITIONS.items() for new in news)


def _transition_trigger() -> pgtrigger.Trigger:
    pairs = ", ".join(f"'{pair}'" for pair in allowed_pairs())
    return pgtrigger.Trigger(
        name="status_transition_allowed",
        operation=pgtrigger.UpdateOf("status"),
        when=pgtrigger.Before,
        condition=pgtrigger.Q(old__status__df=pgtrigger.F("new__status")),
        func=f"""
            IF NOT ((OLD.status || '>' || NEW.status) = ANY (ARRAY[{pairs}])) THEN
                RAISE EXCEPTION '改造项目状态不能从 % 变为 %', OLD.status, NEW.status
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        """,
    )


class DangerLevel(models.TextChoices):
    C = "C", "C级"
    D = "D", "D级"
    NO_HOUSE = "none", "无房"


class RenovationMethod(models.TextChoices):
    # The five labels of the national information system.
    REPAIR = "repair", "修缮加固"
    REBUILD = "rebuild", "原址翻建"
    NEW_SITE_SCATTERED = "new_site_scattered", "异地非集中新建"
    NEW_SITE_CLUSTER = "new_site_cluster", "异地相对集中新建"
    REPLACEMENT = "replacement", "房屋置换"


# Methods that produce a new building: only these are held to the area standard.
BUILT_METHODS = frozenset(
    {
        RenovationMethod.REBUILD,
        RenovationMethod.NEW_SITE_SCATTERED,
        RenovationMethod.NEW_SITE_CLUSTER,
    }
)


class BuildMode(models.TextChoices):
    SELF_BUILD = "self_build", "自建"
    UNIFIED_BUILD = "unified_build", "统建"


class BuilderKind(models.TextChoices):
    CRAFTSMAN = "craftsman", "农村建筑工匠"
    CONTRACTOR = "contractor", "施工企业"


# The approved amount never drops below what has already gone out (payout lines that did not
# fail, and township advances): whatever writes it (issue 16 point 2). The tables are the
# subsidies app's; the function resolves them when it runs.
_AMOUNT_COVERS_PAID = pgtrigger.Trigger(
    name="approved_amount_covers_paid",
    operation=pgtrigger.UpdateOf("approved_amount"),
    when=pgtrigger.Before,
    condition=pgtrigger.Q(old__approved_amount__df=pgtrigger.F("new__approved_amount")),
    declare=[("paid", "numeric")],
    func="""
        SELECT COALESCE((SELECT SUM(amount) FROM subsidies_payoutline
                          WHERE project_id = NEW.id AND status <> 'failed'), 0)
             + COALESCE((SELECT SUM(amount) FROM subsidies_townshipadvance
                          WHERE project_id = NEW.id), 0)
          INTO paid;
        IF paid > COALESCE(NEW.approved_amount, 0) THEN
            RAISE EXCEPTION '核定补助金额 % 低于已拨付（含乡镇垫付）的 %', NEW.approved_amount, paid
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    """,
)


def application_upload_to(instance, filename):
    return stored_name(instance, "renovation/applications")


def minutes_upload_to(instance, filename):
    return stored_name(instance, "renovation/minutes")


def commitment_upload_to(instance, filename):
    return stored_name(instance, "renovation/commitments")


def evaluation_upload_to(instance, filename):
    return stored_name(instance, "renovation/evaluations")


def demolition_upload_to(instance, filename):
    return stored_name(instance, "renovation/demolitions")


def publicity_upload_to(instance, filename):
    return stored_name(instance, "renovation/publicity")


def materials_upload_to(instance, filename):
    return stored_name(instance, "renovation/materials")


def photo_upload_to(instance, filename):
    return stored_name(instance, "renovation/photos")


def paper_upload_to(instance, filename):
    return stored_name(instance, "renovation/papers")


def _user_fk(verbose_name: str, **kwargs):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        **kwargs,
    )


@dataclass(frozen=True)
class ProjectScope(Scope):
    """A project's area by the codes it keeps of its household (`county_prefix`,
    `township_prefix`: written by the database, also when the household moves), reached through
    `via` from a child row: a county or township is an equality on the project's own column,
    a city or province a prefix of its county, a village its household's village. A county's
    counts of projects then read the projects alone, not a household per project."""

    via: str = ""

    def area_condition(self, prefix: str) -> Q:
        if len(prefix) == 6:
            return Q(**{f"{self.via}county_prefix": prefix})
        if len(prefix) == 9:
            return Q(**{f"{self.via}township_prefix": prefix})
        if len(prefix) < 6:
            return Q(**{f"{self.via}county_prefix__startswith": prefix})
        return Q(**{f"{self.via}household__village_id": prefix})


def project_area_key(length: int) -> Left:
    """The first `length` digits of a project's area code, from the project's own columns
    where they are long enough (a county's, a township's): for grouping counts by area."""
    column = "county_prefix" if length <= 6 else "township_prefix" if length <= 9 else None
    return Left(column or "household__village_id", length)


ProjectQuerySet = scoped_queryset(
    "household__village", scope=ProjectScope(code="household__village__code")
)
ChildQuerySet = scoped_queryset(
    "project__household__village",
    scope=ProjectScope(code="project__household__village__code", via="project__"),
)


# The project's area codes are its household's (kept by the database): not events of their own.
@tracked(exclude=["county_prefix", "township_prefix"])
class RenovationProject(models.Model):
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="renovations"
    )
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField(
        "状态", max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.APPLIED
    )
    danger_level = models.CharField(
        "申请时危房等级", max_length=4, choices=DangerLevel.choices, editable=False
    )
    appraisal = models.ForeignKey(
        "inspections.Appraisal",
        verbose_name="依据的鉴定",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
    )
    method = models.CharField("改造方式", max_length=20, choices=RenovationMethod.choices)
    method_note = models.CharField(
        "改造方式说明",
        max_length=200,
        blank=True,
        help_text="房屋置换时注明方式：农村集体公租房、闲置公房改造、长期租赁闲置农房等。",
    )
    build_mode = models.CharField("建设方式", max_length=20, choices=BuildMode.choices, blank=True)
    builder_kind = models.CharField(
        "施工方", max_length=20, choices=BuilderKind.choices, blank=True
    )
    builder_name = models.CharField("工匠/施工企业名称", max_length=100, blank=True)
    on_behalf = models.BooleanField("村委会代为申请", default=False)
    # Document 000: tasks that dynamic monitoring adds during the year, outside the annual plan
    # (年度任务外新增的动态保障任务); shown apart from the planned ones against the targets.
    dynamic = models.BooleanField("年度任务外动态新增", default=False)
    application_note = models.TextField("申请说明", blank=True)
    application_file = models.FileField(
        "申请书", upload_to=application_upload_to, blank=True, max_length=200
    )
    application_content_type = models.CharField(max_length=40, blank=True, editable=False)
    applied_on = models.DateField("申请日期")
    applied_by = _user_fk("录入人")
    village_reviewed_on = models.DateField("村级评议日期", null=True, blank=True)
    township_reviewed_on = models.DateField("乡镇初审日期", null=True, blank=True)
    township_reviewed_by = _user_fk("乡镇初审人", null=True, blank=True)
    township_opinion = models.TextField("乡镇初审意见", blank=True)
    # Document 003: for ④⑤ D the township decides the subsidy, at most the standard's cap.
    township_amount = models.DecimalField(
        "乡镇核定补助金额（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    joint_reviewed_on = models.DateField("联合审核日期", null=True, blank=True)
    joint_reviewed_by = _user_fk("联合审核录入人", null=True, blank=True)
    approved_on = models.DateField("批准日期", null=True, blank=True)
    approved_by = _user_fk("批准人", null=True, blank=True)
    approved_amount = models.DecimalField(
        "核定补助金额（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    amount_explanation = models.CharField("补助计算说明", max_length=300, blank=True)
    amount_override_reason = models.TextField("补助金额调整理由", blank=True)
    amount_overridden_by = _user_fk("补助金额调整人", null=True, blank=True)
    notified_on = models.DateField("函告日期", null=True, blank=True)
    notified_by = _user_fk("函告人", null=True, blank=True)
    completion_due = models.DateField("应竣工日期", null=True, blank=True)
    started_on = models.DateField("开工日期", null=True, blank=True)
    completed_on = models.DateField("竣工日期", null=True, blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    # The household moved into the new (or repaired) house: the old house must go from here.
    moved_in_on = models.DateField("入住日期", null=True, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    closed_by = _user_fk("销号人", null=True, blank=True)
    built_area = models.DecimalField(
        "建筑面积（㎡）", max_digits=7, decimal_places=2, null=True, blank=True
    )
    # Planned at application (on the approval list and the village notice; issue 15 point 4).
    planned_area = models.DecimalField(
        "计划建筑面积（㎡）", max_digits=7, decimal_places=2, null=True, blank=True
    )
    # Document 003: for ④⑤ the township approves the area instead of the standard.
    township_area = models.DecimalField(
        "乡镇审批面积（㎡）", max_digits=7, decimal_places=2, null=True, blank=True
    )
    demolition_not_applicable_reason = models.TextField("无需拆除旧房的理由", blank=True)
    end_reason = models.TextField("放弃/未通过/撤回理由", blank=True)
    ended_on = models.DateField("终止日期", null=True, blank=True)
    ended_by = _user_fk("终止操作人", null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The household's county and township, written only by the database (the trigger below
    # and, when a household moves, `renovation_projects_follow_household` on the household
    # table, migration 0014): what the scope of a county or township filters on.
    county_prefix = models.CharField(max_length=6, default="", editable=False)
    township_prefix = models.CharField(max_length=9, default="", editable=False)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "危房改造项目"
        verbose_name_plural = "危房改造项目"
        ordering = ["-year", "household__village_id", "household__head_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year"],
                condition=Q(status__in=[s.value for s in ACTIVE] + [S.CLOSED.value]),
                name="renovation_one_active_project_per_household_year",
            ),
            models.CheckConstraint(
                name="renovation_dates_in_order",
                condition=(
                    (Q(started_on__isnull=True) | Q(completed_on__isnull=True))
                    | Q(completed_on__gte=F("started_on"))
                )
                & (
                    (Q(completed_on__isnull=True) | Q(accepted_on__isnull=True))
                    | Q(accepted_on__gte=F("completed_on"))
                ),
            ),
            models.CheckConstraint(
                name="renovation_funded_has_amount",
                condition=~Q(status__in=[s.value for s in FUNDED])
                | Q(approved_amount__isnull=False),
            ),
            models.CheckConstraint(
                name="renovation_ended_has_reason",
                condition=~Q(status__in=sorted(s.value for s in ENDED)) | ~Q(end_reason=""),
            ),
            models.CheckConstraint(
                name="renovation_amount_not_negative",
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gte=0),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "year"], name="renovation_status_year_idx"),
            models.Index(fields=["county_prefix", "year", "status"], name="project_county_idx"),
            models.Index(fields=["township_prefix", "year", "status"], name="project_township_idx"),
        ]
        triggers = [
            _transition_trigger(),
            _AMOUNT_COVERS_PAID,
            pgtrigger.Trigger(
                name="area_is_the_households",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func="""
                    SELECT county_code, township_code INTO NEW.county_prefix, NEW.township_prefix
                      FROM households_household WHERE id = NEW.household_id;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.household.head_name} {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("renovation:detail", args=[self.pk])

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, ())

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    @property
    def county_code(self) -> str:
        return self.household.village_id[:6] + "000000"


class ReviewResult(models.TextChoices):
    PASSED = "passed", "通过"
    FAILED = "failed", "不通过"


@tracked()
class VillageReview(models.Model):
    """村级评议: village cadres and at least 5 villager representatives."""

    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="village_reviews"
    )
    held_on = models.DateField("评议日期")
    cadres = ArrayField(models.CharField(max_length=50), verbose_name="村干部", default=list)
    representatives = ArrayField(
        models.CharField(max_length=50), verbose_name="村民代表", default=list
    )
    result = models.CharField("评议结果", max_length=10, choices=ReviewResult.choices)
    note = models.TextField("评议意见", blank=True)
    minutes_file = models.FileField("会议记录", upload_to=minutes_upload_to, max_length=200)
    minutes_content_type = models.CharField(max_length=40, editable=False)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "村级评议"
        verbose_name_plural = "村级评议"
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="village_review_five_representatives",
                condition=Q(representatives__len__gte=5),
            )
        ]

    def __str__(self) -> str:
        return f"村级评议 {self.held_on:%Y-%m-%d} {self.get_result_display()}"


class JointDepartment(models.TextChoices):
    FINANCE = "finance", "财政"
    CIVIL_AFFAIRS = "civil_affairs", "民政"
    RURAL_REVITALIZATION = "rural_revitalization", "乡村振兴"
    EMERGENCY = "emergency", "应急管理"
    NATURAL_RESOURCES = "natural_resources", "自然资源"


@tracked()
class JointReviewOpinion(models.Model):
    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="joint_opinions"
    )
    department = models.CharField("部门", max_length=30, choices=JointDepartment.choices)
    agrees = models.BooleanField("同意")
    note = models.CharField("意见", max_length=300, blank=True)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "联合审核意见"
        verbose_name_plural = "联合审核意见"
        ordering = ["project_id", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "department"], name="joint_opinion_one_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_department_display()}：{'同意' if self.agrees else '不同意'}"


class PublicityLevel(models.TextChoices):
    VILLAGE = "village", "村级公示"
    TOWNSHIP = "township", "乡镇公示"
    COUNTY = "county", "县级公示"


@tracked()
class Publicity(models.Model):
    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="publicities"
    )
    level = models.CharField("公示级别", max_length=10, choices=PublicityLevel.choices)
    starts_on = models.DateField("公示开始")
    ends_on = models.DateField("公示结束")
    photo = models.FileField("公示照片", upload_to=publicity_upload_to, blank=True, max_length=200)
    photo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "公示"
        verbose_name_plural = "公示"
        ordering = ["project_id", "starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "level"], name="publicity_one_per_level"),
            models.CheckConstraint(
                name="publicity_period_ordered", condition=Q(ends_on__gte=F("starts_on"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.starts_on}–{self.ends_on}"


@tracked()
class Objection(models.Model):
    publicity = models.ForeignKey(Publicity, on_delete=models.PROTECT, related_name="objections")
    raised_on = models.DateField("提出日期")
    raised_by_name = models.CharField("异议人", max_length=50, blank=True)
    content = models.TextField("异议内容")
    resolution = models.TextField("处理结果", blank=True)
    resolved_on = models.DateField("处理日期", null=True, blank=True)
    resolved_by = _user_fk("处理人", null=True, blank=True)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = scoped_queryset("publicity__project__household__village").as_manager()

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["raised_on", "id"]

    def __str__(self) -> str:
        return f"异议 {self.raised_on:%Y-%m-%d}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_on is not None


@tracked()
class Commitment(models.Model):
    """拆旧建新及安全责任承诺书: the signing date is required (document 004 finding)."""

    project = models.OneToOneField(
        RenovationProject, on_delete=models.PROTECT, related_name="commitment"
    )
    signed_on = models.DateField("签署日期")
    file = models.FileField("承诺书扫描件", upload_to=commitment_upload_to, blank=True)
    content_type = models.CharField(max_length=40, blank=True, editable=False)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "承诺书"
        verbose_name_plural = "承诺书"

    def __str__(self) -> str:
        return f"承诺书 {self.signed_on:%Y-%m-%d}"


class CheckResult(models.TextChoices):
    PASSED = "passed", "合格"
    PROBLEMS = "problems", "发现问题"


@tracked()
class QualityCheck(models.Model):
    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="quality_checks"
    )
    checked_on = models.DateField("检查日期")
    inspector = models.CharField("检查人", max_length=100)
    result = models.CharField("检查结果", max_length=10, choices=CheckResult.choices)
    problems = models.TextField("发现的问题", blank=True)
    recheck_of = models.ForeignKey(
        "self",
        verbose_name="复查的检查",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rechecks",
    )
    recorded_by = _user_fk("录入人")
    client_id = client_id_field()  # an entry made offline (core/offline.py)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "质量检查"
        verbose_name_plural = "质量检查"
        ordering = ["checked_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="quality_check_problems_described",
                condition=~Q(result="problems") | ~Q(problems=""),
            )
        ]

    def __str__(self) -> str:
        return f"质量检查 {self.checked_on:%Y-%m-%d} {self.get_result_display()}"


class AcceptanceParty(models.TextChoices):
    """Document 003: acceptance by the township, the village, the household and the
    craftsman or contractor together."""

    TOWNSHIP = "township", "乡镇"
    VILLAGE = "village", "村"
    HOUSEHOLD = "household", "农户"
    BUILDER = "builder", "工匠或施工方"


@tracked()
class Acceptance(models.Model):
    project = models.OneToOneField(
        RenovationProject, on_delete=models.PROTECT, related_name="acceptance"
    )
    accepted_on = models.DateField("验收日期")
    parties = ArrayField(
        models.CharField(max_length=12, choices=AcceptanceParty.choices),
        verbose_name="参加验收的各方",
        default=list,
        blank=True,
    )
    participants = models.TextField("参加验收人员")
    evaluation_passed = models.BooleanField("基本安全评定合格")
    evaluation_form = models.FileField(
        "基本安全评定表", upload_to=evaluation_upload_to, max_length=200
    )
    evaluation_content_type = models.CharField(max_length=40, editable=False)
    built_area = models.DecimalField("建筑面积（㎡）", max_digits=7, decimal_places=2)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "竣工验收"
        verbose_name_plural = "竣工验收"

    def __str__(self) -> str:
        return f"竣工验收 {self.accepted_on:%Y-%m-%d}"


@tracked()
class AreaStandard(models.Model):
    """Area standard for rebuilt and new houses, per county and year (data, not code)."""

    county = models.ForeignKey(
        Area, verbose_name="县", on_delete=models.PROTECT, related_name="area_standards"
    )
    year = models.PositiveSmallIntegerField("年度")
    max_one_person = models.DecimalField("1人户上限（㎡）", max_digits=6, decimal_places=2)
    max_two_persons = models.DecimalField("2人户上限（㎡）", max_digits=6, decimal_places=2)
    min_per_person = models.DecimalField("3人及以上每人下限（㎡）", max_digits=6, decimal_places=2)
    max_per_person = models.DecimalField("3人及以上每人上限（㎡）", max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = "面积标准"
        verbose_name_plural = "面积标准"
        ordering = ["county_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="area_standard_unique_year"),
            models.CheckConstraint(
                name="area_standard_per_person_ordered",
                condition=Q(max_per_person__gte=F("min_per_person")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year}年面积标准"


@tracked()
class AreaException(models.Model):
    """A county reviewer's justified exception to the area standard."""

    project = models.OneToOneField(
        RenovationProject, on_delete=models.PROTECT, related_name="area_exception"
    )
    reason = models.TextField("理由")
    granted_by = _user_fk("批准人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "面积标准例外"
        verbose_name_plural = "面积标准例外"

    def __str__(self) -> str:
        return f"面积标准例外（项目 {self.project_id}）"


@tracked()
class Demolition(models.Model):
    """建新必拆旧: the old house is gone, with a photo."""

    project = models.OneToOneField(
        RenovationProject, on_delete=models.PROTECT, related_name="demolition"
    )
    demolished_on = models.DateField("拆除日期")
    photo = models.FileField("拆除照片", upload_to=demolition_upload_to, max_length=200)
    content_type = models.CharField(max_length=40, editable=False)
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "旧房拆除"
        verbose_name_plural = "旧房拆除"

    def __str__(self) -> str:
        return f"旧房拆除 {self.demolished_on:%Y-%m-%d}"


class PhotoStage(models.TextChoices):
    BEFORE = "before", "改造前"
    DURING = "during", "改造中"
    AFTER = "after", "改造后"


@tracked()
class ProjectPhoto(models.Model):
    project = models.ForeignKey(RenovationProject, on_delete=models.PROTECT, related_name="photos")
    stage = models.CharField("阶段", max_length=10, choices=PhotoStage.choices)
    file = models.FileField("照片", upload_to=photo_upload_to, max_length=200)
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    taken_at = models.DateTimeField("拍摄时间（EXIF）", null=True, blank=True)
    latitude = models.DecimalField(
        "拍摄位置纬度（EXIF）", max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        "拍摄位置经度（EXIF）", max_digits=9, decimal_places=6, null=True, blank=True
    )
    # core.uploads.dhash, computed once at upload (backfilled by `photo_fingerprints`).
    phash = models.CharField("感知哈希", max_length=16, blank=True, db_index=True)
    uploaded_by = _user_fk("上传人")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "改造照片"
        verbose_name_plural = "改造照片"
        ordering = ["stage", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}照片 {self.pk}"


class PaperKind(models.TextChoices):
    """The printed forms of a project that come back signed (renovation/paper.py prints them)."""

    APPLICATION = "application", "改造申请书"
    APPRAISAL = "appraisal", "农村危房鉴定表"
    VILLAGE_REVIEW = "village_review", "村级评议表"
    TOWNSHIP_REVIEW = "township_review", "乡镇初审表"
    JOINT_REVIEW = "joint_review", "联合审核表"
    COMMITMENT = "commitment", "拆旧建新及安全责任承诺书"
    ACCEPTANCE = "acceptance", "竣工验收表及基本安全评定表"


@tracked()
class SignedPaper(models.Model):
    """The scan of a printed form after signing and stamping, uploaded on its step; the
    newest upload of a kind is the one the archive shows (earlier ones stay in the history)."""

    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="signed_papers"
    )
    kind = models.CharField("表格", max_length=20, choices=PaperKind.choices)
    file = models.FileField("签字扫描件", upload_to=paper_upload_to, max_length=200)
    content_type = models.CharField(max_length=40, editable=False)
    uploaded_by = _user_fk("上传人")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "签字表格扫描件"
        verbose_name_plural = "签字表格扫描件"
        ordering = ["project_id", "kind", "-uploaded_at", "-id"]
        indexes = [models.Index(fields=["project", "kind"], name="signed_paper_project_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（签字）{self.uploaded_at:%Y-%m-%d}"


class OverrideStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "已驳回"


@tracked(exclude=["materials_file"])
class AmountOverride(models.Model):
    """A requested change of the approved subsidy (补助金额调整): within the standard's cap for
    the case and never below what is already paid; it counts once the county approver (not
    the requester) confirms it. A C-level amount above the standard needs the village's
    materials list (村级材料清单) and its total."""

    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="amount_overrides"
    )
    previous_amount = models.DecimalField("原核定金额（元）", max_digits=10, decimal_places=2)
    amount = models.DecimalField("调整后金额（元）", max_digits=10, decimal_places=2)
    reason = models.TextField("调整理由")
    materials_file = models.FileField(
        "村级材料清单", upload_to=materials_upload_to, blank=True, max_length=200
    )
    materials_content_type = models.CharField(max_length=40, blank=True, editable=False)
    materials_total = models.DecimalField(
        "材料清单合计（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    requested_by = _user_fk("申请人")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    status = models.CharField(
        "状态", max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.PENDING
    )
    decided_by = _user_fk("确认人", null=True, blank=True)
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    decision_note = models.CharField("确认意见", max_length=200, blank=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "补助金额调整"
        verbose_name_plural = "补助金额调整"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="amount_override_four_eyes",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
            ),
            models.CheckConstraint(
                name="amount_override_decided_has_decider",
                condition=Q(status="pending") | Q(decided_by__isnull=False),
            ),
            models.CheckConstraint(name="amount_override_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status="pending"),
                name="amount_override_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"补助金额调整 {self.previous_amount} → {self.amount}"


@tracked()
class FailedAcceptance(models.Model):
    """An acceptance that did not pass: who came, why, what to fix; the project went back to
    construction. The archive lists every attempt."""

    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="failed_acceptances"
    )
    inspected_on = models.DateField("验收日期")
    parties = ArrayField(
        models.CharField(max_length=12, choices=AcceptanceParty.choices),
        verbose_name="参加验收的各方",
    )
    participants = models.TextField("参加验收人员")
    reasons = models.TextField("未通过原因")
    to_fix = models.TextField("整改要求")
    recorded_by = _user_fk("录入人")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "竣工验收未通过"
        verbose_name_plural = "竣工验收未通过"
        ordering = ["project_id", "inspected_on", "id"]

    def __str__(self) -> str:
        return f"验收未通过 {self.inspected_on:%Y-%m-%d}"


class NationalStage(models.TextChoices):
    """开工一户、填报一户: the stages entered in the national information system."""

    STARTED = "started", "开工"
    COMPLETED = "completed", "竣工"
    ACCEPTED = "accepted", "验收"
    PAID = "paid", "拨付"


@tracked()
class NationalEntry(models.Model):
    """The day a project's stage was entered in the national renovation information system."""

    project = models.ForeignKey(
        RenovationProject, on_delete=models.PROTECT, related_name="national_entries"
    )
    stage = models.CharField("阶段", max_length=10, choices=NationalStage.choices)
    entered_on = models.DateField("录入国家系统日期")
    recorded_by = _user_fk("登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "国家系统录入"
        verbose_name_plural = "国家系统录入"
        ordering = ["project_id", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["project", "stage"], name="national_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.entered_on:%Y-%m-%d}"
