"""Inspections (排查), appraisals (鉴定/评定), hazard reports, campaigns, the ledger."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Area
from accounts.scoping import Scope, ScopedQuerySet, scoped_queryset
from core.audit import tracked
from core.offline import client_id_field
from core.uploads import stored_name
from households.models import Department, Household

HouseholdScoped = scoped_queryset("household__village")


class SafetyLevel(models.TextChoices):
    A = "A", "A级"
    B = "B", "B级"
    C = "C", "C级（局部危险）"
    D = "D", "D级（整栋危房）"
    NO_HOUSE = "none", "无房"


# Levels that put a household on the dangerous-house ledger (危房台账).
LEDGER_LEVELS = (SafetyLevel.C, SafetyLevel.D, SafetyLevel.NO_HOUSE)


class AppraisalMethod(models.TextChoices):
    ASSESSED = "assessed", "评定（县住建局技术人员）"
    THIRD_PARTY = "third_party", "鉴定（第三方机构）"


def appraisal_report_upload_to(instance, filename):
    return stored_name(instance, "appraisals")


def photo_upload_to(instance, filename):
    return stored_name(instance, "photos")


class CampaignKind(models.TextChoices):
    AFTER_RAINY = "after_rainy", "回头看（雨季后）"
    AFTER_THAW = "after_thaw", "回头看（解冻后）"
    DISASTER = "disaster", "灾后排查"
    HOLIDAY_RETURN = "holiday_return", "节假日返乡排查"
    NEW_LIST = "new_list", "新增名单排查"


class CampaignQuerySet(ScopedQuerySet):
    # Campaigns covering part of the user's area, or an area the user lies within.
    scope = Scope(code="areas__code", with_ancestors=True, many=True)


@tracked()
class Campaign(models.Model):
    name = models.CharField("批次名称", max_length=100)
    kind = models.CharField("排查类型", max_length=20, choices=CampaignKind.choices)
    areas = models.ManyToManyField(Area, verbose_name="排查范围", related_name="campaigns")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    note = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = "排查批次"
        verbose_name_plural = "排查批次"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="campaign_period_ordered", condition=Q(ends_on__gte=models.F("starts_on"))
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspections:campaign_detail", args=[self.pk])


@tracked()
class Appraisal(models.Model):
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="appraisals"
    )
    level = models.CharField("安全等级", max_length=4, choices=SafetyLevel.choices)
    method = models.CharField("方式", max_length=20, choices=AppraisalMethod.choices)
    appraiser_name = models.CharField("鉴定（评定）人", max_length=50)
    institution = models.CharField("鉴定机构", max_length=100, blank=True)
    appraised_on = models.DateField("鉴定日期")
    report_file = models.FileField(
        "鉴定报告", upload_to=appraisal_report_upload_to, blank=True, max_length=200
    )
    report_content_type = models.CharField(max_length=40, blank=True, editable=False)
    note = models.TextField("备注", blank=True)
    is_reappraisal = models.BooleanField("复核鉴定", default=False)
    disputed = models.BooleanField("农户有异议", default=False)
    dispute_note = models.TextField("异议说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "鉴定（评定）"
        verbose_name_plural = "鉴定（评定）"
        ordering = ["-appraised_on", "-id"]
        indexes = [
            models.Index(fields=["household", "-appraised_on", "-id"], name="appraisal_current_idx")
        ]
        # Every appraisal is a dated safety state of the house, whatever writes it (a service,
        # an import, raw SQL): the database keeps the two together (issue 15 point 1).
        triggers = [
            pgtrigger.Trigger(
                name="appraisal_writes_safety_state",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                func="""
                    INSERT INTO inspections_safetystate
                        (household_id, level, "on", source, appraisal_id, note, created_at)
                    VALUES (NEW.household_id, NEW.level, NEW.appraised_on, 'appraisal',
                            NEW.id, '', now());
                    RETURN NULL;
                """,
            ),
            pgtrigger.Trigger(
                name="appraisal_updates_safety_state",
                operation=pgtrigger.UpdateOf("level", "appraised_on", "household_id"),
                when=pgtrigger.After,
                func="""
                    UPDATE inspections_safetystate
                       SET level = NEW.level, "on" = NEW.appraised_on,
                           household_id = NEW.household_id
                     WHERE appraisal_id = NEW.id;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household.head_name} {self.get_level_display()} {self.appraised_on:%Y-%m-%d}"

    @property
    def is_dangerous(self) -> bool:
        return self.level in LEDGER_LEVELS


def _household_follows(name: str, setting: str, columns: str, newest: str) -> pgtrigger.Trigger:
    """An AFTER trigger that writes `columns` of the household (its newest record: `newest`,
    a SELECT over `h`, the household) whenever a record is written, moved or deleted; it sets
    `setting` so that the household's own guard lets the write through. OLD is null on an
    insert, NEW on a delete; a record moved to another household recomputes both."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        when=pgtrigger.After,
        func=f"""
            PERFORM set_config('{setting}', 'on', true);
            UPDATE households_household h SET {columns} = ({newest})
             WHERE h.id IN (OLD.household_id, NEW.household_id);
            PERFORM set_config('{setting}', 'off', true);
            RETURN NULL;
        """,  # noqa: S608 - the trigger's own constants, declared in this module
    )


@tracked()
class InspectionRecord(models.Model):
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="inspections"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="排查批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspected_on = models.DateField("排查日期")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="排查人"
    )
    occupied = models.BooleanField("是否住人")
    findings = models.TextField("排查情况")
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    location_accuracy = models.FloatField("定位精度（米）", null=True, blank=True)
    client_id = client_id_field()  # an entry made offline (core/offline.py)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "排查记录"
        verbose_name_plural = "排查记录"
        ordering = ["-inspected_on", "-id"]
        indexes = [
            models.Index(
                fields=["household", "-inspected_on", "-id"], name="inspection_latest_idx"
            ),
            models.Index(fields=["campaign", "household"], name="inspection_campaign_idx"),
        ]
        # The household's newest inspection (Household.latest_inspection_on / latest_occupied)
        # follows its records, whatever writes them; the household's own trigger refuses
        # every other writer of those columns.
        triggers = [
            _household_follows(
                "household_latest_inspection_follows",
                "anju.writing_latest_inspection",
                "(latest_inspection_on, latest_occupied)",
                "SELECT r.inspected_on, r.occupied FROM inspections_inspectionrecord r"
                " WHERE r.household_id = h.id ORDER BY r.inspected_on DESC, r.id DESC LIMIT 1",
            )
        ]

    def __str__(self) -> str:
        return f"{self.household.head_name} {self.inspected_on:%Y-%m-%d}"


class HazardStatus(models.TextChoices):
    REPORTED = "reported", "待乡镇核实"
    VERIFIED = "verified", "已核实，待县级鉴定"
    REJECTED = "rejected", "核实不属实"
    APPRAISED = "appraised", "已鉴定"


@tracked()
class HazardReport(models.Model):
    """三级巡查: the village reports, the township verifies, the county appraises."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="hazard_reports"
    )
    description = models.TextField("隐患情况")
    reported_on = models.DateField("上报日期")
    urgent = models.BooleanField("紧急", default=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="上报人"
    )
    status = models.CharField(
        "状态", max_length=12, choices=HazardStatus.choices, default=HazardStatus.REPORTED
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="核实人",
    )
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    verification_note = models.TextField("核实意见", blank=True)
    appraisal = models.ForeignKey(
        Appraisal,
        on_delete=models.PROTECT,
        related_name="hazard_reports",
        null=True,
        blank=True,
        verbose_name="鉴定结果",
    )
    client_id = client_id_field()  # an entry made offline (core/offline.py)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "隐患上报"
        verbose_name_plural = "隐患上报"
        ordering = ["-urgent", "-reported_on", "-id"]
        indexes = [
            models.Index(fields=["status", "-urgent", "-reported_on"], name="hazard_queue_idx")
        ]

    def __str__(self) -> str:
        return f"{self.household.head_name} {self.reported_on:%Y-%m-%d}"


@tracked()
class Photo(models.Model):
    """A photo of an inspection, appraisal or hazard report; served only through a view."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name="农户"
    )
    inspection = models.ForeignKey(
        InspectionRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    appraisal = models.ForeignKey(
        Appraisal, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    hazard_report = models.ForeignKey(
        HazardReport, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
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
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "照片"
        verbose_name_plural = "照片"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="photo_has_exactly_one_parent",
                condition=(
                    Q(inspection__isnull=False, appraisal__isnull=True, hazard_report__isnull=True)
                    | Q(
                        inspection__isnull=True, appraisal__isnull=False, hazard_report__isnull=True
                    )
                    | Q(
                        inspection__isnull=True, appraisal__isnull=True, hazard_report__isnull=False
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return f"照片 {self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inspections:photo_file", args=[self.pk])


class MeasureKind(models.TextChoices):
    PERSUADED_OUT = "persuaded_out", "劝离"
    TRANSITIONAL = "transitional", "过渡安置"
    OTHER = "other", "其他"


@tracked()
class EmergencyMeasure(models.Model):
    """What was done for a D-level house that people still live in (危房不住人)."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="emergency_measures"
    )
    measure = models.CharField("措施", max_length=20, choices=MeasureKind.choices)
    taken_on = models.DateField("日期")
    stays_at = models.CharField("现居住地点", max_length=200, blank=True)
    note = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "应急措施"
        verbose_name_plural = "应急措施"
        ordering = ["-taken_on", "-id"]

    def __str__(self) -> str:
        return f"{self.household.head_name} {self.get_measure_display()}"


@tracked()
class LedgerClosure(models.Model):
    """A household leaves the dangerous-house ledger (销号).

    Until the renovation app closes cases itself (改造一户、销档一户), the county records the
    close-out here; renovation should call `services.ledger_case_close`.
    """

    household = models.OneToOneField(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="ledger_closure"
    )
    closed_on = models.DateField("销号日期")
    reason = models.CharField("销号原因", max_length=200)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="销号人"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "危房台账销号"
        verbose_name_plural = "危房台账销号"

    def __str__(self) -> str:
        return f"{self.household_id} {self.closed_on:%Y-%m-%d}"


@tracked()
class Holiday(models.Model):
    """Public holidays and 调休 make-up working days, maintained in the admin each year."""

    date = models.DateField("日期", unique=True)
    name = models.CharField("名称", max_length=50)
    is_workday = models.BooleanField(
        "调休上班日", default=False, help_text="勾选表示该日为调休补班（周末上班）。"
    )

    class Meta:
        verbose_name = "节假日"
        verbose_name_plural = "节假日（含调休）"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}{'（调休上班）' if self.is_workday else ''}"


class DepartmentListQuerySet(ScopedQuerySet):
    # A department's list is the business of the whole county it was sent to.
    scope = Scope(code="county_code", county_wide=True)


@tracked()
class DepartmentList(models.Model):
    """A list of households sent by a partner department (以人找房: none may be missed)."""

    county_code = models.CharField("县代码", max_length=6)
    department = models.CharField("来源部门", max_length=20, choices=Department.choices)
    received_on = models.DateField("收到日期")
    note = models.CharField("说明", max_length=200, blank=True)
    households = models.ManyToManyField(
        Household, through="DepartmentListEntry", related_name="department_lists"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DepartmentListQuerySet.as_manager()

    class Meta:
        verbose_name = "部门名单"
        verbose_name_plural = "部门名单"
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_department_display()} {self.received_on:%Y-%m-%d}"


@tracked()
class DepartmentListEntry(models.Model):
    department_list = models.ForeignKey(
        DepartmentList, on_delete=models.CASCADE, related_name="entries", verbose_name="名单"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="list_entries", verbose_name="农户"
    )
    # Five working days after the list arrived (not counting that day).
    appraisal_due = models.DateField("鉴定期限")

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "名单农户"
        verbose_name_plural = "名单农户"
        ordering = ["appraisal_due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["department_list", "household"], name="department_list_entry_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} 期限 {self.appraisal_due:%Y-%m-%d}"


# --- the safety of a house as a history (issue 15 point 1) -------------------------------


class StateLevel(models.TextChoices):
    """A house's safety at a date: an appraisal's level, or safe after renovation."""

    A = "A", "A级"
    B = "B", "B级"
    C = "C", "C级（局部危险）"
    D = "D", "D级（整栋危房）"
    NO_HOUSE = "none", "无房"
    SAFE = "safe", "改造后安全（已验收销号）"


class StateSource(models.TextChoices):
    APPRAISAL = "appraisal", "鉴定（评定）"
    CLOSEOUT = "closeout", "改造验收销号"
    CLOSURE = "closure", "危房台账销号"
    HISTORIC = "historic", "历年改造记录"


@tracked()
class SafetyState(models.Model):
    """One dated safety state of a household's house. The current state is the newest (by
    date, then id): every appraisal writes one, and so does every close-out of a renovation
    (safe, from the acceptance's 基本安全评定). A renovated house appraised C or D again is
    back on the dangerous-house ledger, with its earlier renovation in this history."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="safety_states"
    )
    level = models.CharField("安全状态", max_length=6, choices=StateLevel.choices)
    on = models.DateField("日期")
    source = models.CharField("来源", max_length=12, choices=StateSource.choices)
    appraisal = models.OneToOneField(
        Appraisal,
        verbose_name="鉴定",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safety_state",
    )
    # The renovation project of a close-out (renovation sits above this app: an id, no FK).
    project_id = models.PositiveIntegerField("改造项目", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = HouseholdScoped.as_manager()

    class Meta:
        verbose_name = "房屋安全状态"
        verbose_name_plural = "房屋安全状态"
        ordering = ["-on", "-id"]
        indexes = [
            models.Index(fields=["household", "-on", "-id"], name="safety_state_current_idx")
        ]
        # The household's current state (Household.safety_level) follows its states, whatever
        # writes them; the household's own trigger refuses every other writer of that column.
        triggers = [
            _household_follows(
                "household_safety_level_follows",
                "anju.writing_safety_level",
                "(safety_level, safety_level_on)",
                'SELECT s.level, s."on" FROM inspections_safetystate s'
                ' WHERE s.household_id = h.id ORDER BY s."on" DESC, s.id DESC LIMIT 1',
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.on:%Y-%m-%d} {self.get_level_display()}"


@tracked()
class VillageLocation(models.Model):
    """Where a village lies (its committee, WGS 84): the self-check measures how far from it
    a photo of the village's houses was taken. Kept here rather than on `Area` so the area
    tree stays the administrative codes alone; set by the county in the admin."""

    village = models.OneToOneField(
        Area,
        verbose_name="行政村",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="location",
        limit_choices_to={"level": "village"},
    )
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6)

    objects = scoped_queryset("village").as_manager()

    class Meta:
        verbose_name = "村位置"
        verbose_name_plural = "村位置"
        ordering = ["village_id"]
        constraints = [
            models.CheckConstraint(
                name="village_location_on_earth",
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
            )
        ]

    def __str__(self) -> str:
        return f"{self.village_id} ({self.latitude}, {self.longitude})"
