from __future__ import annotations

from dataclasses import dataclass

import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Left, Right, Upper

from accounts.models import Area, Role
from accounts.scoping import Scope, ScopedQuerySet, scoped_queryset
from core import crypto
from core.audit import tracked
from core.fields import EncryptedTextField
from core.imports.models import ImportRecord, ImportStatus, import_upload_to  # noqa: F401
from core.uploads import stored_name


class Category(models.TextChoices):
    # The six key groups of 2021+ (DOMAIN.md).
    AT_RISK = "at_risk", "农村易返贫致贫户"
    DIBAO = "dibao", "农村低保户"
    TEKUN = "tekun", "农村分散供养特困人员"
    HARDSHIP = (
        "hardship",
        "因病因灾因意外事故等刚性支出较大或收入大幅缩减导致基本生活出现严重困难家庭",
    )
    DIBAO_EDGE = "dibao_edge", "农村低保边缘家庭"
    OTHER_EX_POOR = "other_ex_poor", "其他脱贫户"
    # The four categories of 2019, kept readable for older records.
    LEGACY_POOR = "legacy_poor", "建档立卡贫困户（2019）"
    LEGACY_DIBAO = "legacy_dibao", "低保户（2019）"
    LEGACY_TEKUN = "legacy_tekun", "分散供养特困人员（2019）"
    LEGACY_DISABLED = "legacy_disabled", "贫困残疾人家庭（2019）"


CURRENT_CATEGORIES = [c for c in Category if not c.value.startswith("legacy_")]
LEGACY_CATEGORIES = [c for c in Category if c.value.startswith("legacy_")]
CATEGORY_SHORT = {
    Category.AT_RISK: "易返贫致贫户",
    Category.DIBAO: "低保户",
    Category.TEKUN: "特困人员",
    Category.HARDSHIP: "严重困难家庭",
    Category.DIBAO_EDGE: "低保边缘家庭",
    Category.OTHER_EX_POOR: "其他脱贫户",
    Category.LEGACY_POOR: "建档立卡贫困户",
    Category.LEGACY_DIBAO: "低保户(2019)",
    Category.LEGACY_TEKUN: "特困人员(2019)",
    Category.LEGACY_DISABLED: "贫困残疾人家庭",
}


class Department(models.TextChoices):
    MINZHENG = "minzheng", "民政"
    XIANGCUN = "xiangcun", "乡村振兴"
    CANLIAN = "canlian", "残联"
    OTHER = "other", "其他"


class Relation(models.TextChoices):
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDCHILD = "grandchild", "孙子女"
    SIBLING = "sibling", "兄弟姐妹"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    OTHER = "other", "其他"


PRIORITY_FIELDS = {
    "is_disabled": "残疾人",
    "is_military_family": "军人军属",
    "is_veteran": "退役军人",
    "is_heroic": "见义勇为",
}


class SensitiveNumbersMixin:
    """Keeps the hash and masked copies of encrypted numbers in step with the value."""

    #: (value field, hash field, masked field, mask function)
    sensitive_numbers: tuple = ()

    def sync_sensitive(self) -> None:
        for value_field, hash_field, masked_field, masker in self.sensitive_numbers:
            value = crypto.normalize_number(getattr(self, value_field) or "")
            setattr(self, value_field, value)
            setattr(self, hash_field, crypto.search_hash(value) if value else "")
            setattr(self, masked_field, masker(value) if value else "")

    def save(self, *args, **kwargs):
        self.sync_sensitive()
        super().save(*args, **kwargs)


@dataclass(frozen=True)
class HouseholdScope(Scope):
    """A household's area by the code columns it stores: a county or township is an equality
    on `county_code` / `township_code` (indexed with the list's order, so a page is an index
    range), a village on `village_id`; other levels (city, province) a prefix of the code."""

    COLUMNS = {6: "county_code", 9: "township_code", 12: "village_id"}

    def area_condition(self, prefix: str) -> Q:
        column = self.COLUMNS.get(len(prefix))
        if column is not None:
            return Q(**{column: prefix})
        if prefix.isdigit():
            # A city or province: the range of village codes that start with the prefix
            # (codes are digits, all one length). A range is what the indexes ordered by
            # village serve; `LIKE 'p%'` is none under the database's C.UTF-8 collation,
            # so the planner walked every village before the area's.
            upper = str(int(prefix) + 1).zfill(len(prefix))
            if len(upper) > len(prefix):  # "99…": nothing above it
                return Q(village_id__gte=prefix)
            return Q(village_id__gte=prefix, village_id__lt=upper)
        return super().area_condition(prefix)


#: inspections.models.LEDGER_LEVELS (C, D, no house), for the ledger's index below.
LEDGER_ORDER_LEVELS = ("C", "D", "none")

HouseholdQuerySet = scoped_queryset("village", scope=HouseholdScope(code="village__code"))


def _kept_by_trigger(setting: str, *columns: str) -> str:
    """A BEFORE trigger's guard of columns that only another table's trigger writes (it sets
    `setting` to 'on' while it does): any other write leaves them as they were (NULL on an
    insert), so a stale instance saved later cannot undo them."""
    insert = " ".join(f"NEW.{c} := NULL;" for c in columns)
    update = " ".join(f"NEW.{c} := OLD.{c};" for c in columns)
    return f"""
        IF current_setting('{setting}', true) IS DISTINCT FROM 'on' THEN
            IF TG_OP = 'INSERT' THEN {insert} ELSE {update} END IF;
        END IF;
    """


def _tally_delta(*parts: str) -> str:
    """The trigger body that adds one signed row per changed (township, category, level,
    exited, lived in) group of a statement's rows to the tally: +1 for each new row, -1 for
    each old."""
    rows = " UNION ALL ".join(parts)  # the module's own constants below, no input
    return f"""
        INSERT INTO households_householdtally
            (township_code, county_code, category, safety_level, exited, occupied, n)
        SELECT township_code, county_code, category, COALESCE(safety_level, ''),
               exited_on IS NOT NULL, latest_occupied, SUM(d)
        FROM ({rows}) AS delta
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING SUM(d) <> 0;
        RETURN NULL;
    """  # noqa: S608


_NEW = (
    "SELECT township_code, county_code, category, safety_level, exited_on, latest_occupied,"
    " 1 AS d FROM new_rows"
)
_OLD = (
    "SELECT township_code, county_code, category, safety_level, exited_on, latest_occupied,"
    " -1 AS d FROM old_rows"
)


def _tally_trigger(operation, *, old: bool, new: bool) -> pgtrigger.Trigger:
    """A statement-level trigger adding the statement's signed counts to the tally."""
    return pgtrigger.Trigger(
        name=f"tally_{str(operation).lower()}",
        operation=operation,
        when=pgtrigger.After,
        level=pgtrigger.Statement,
        referencing=pgtrigger.Referencing(
            old="old_rows" if old else None, new="new_rows" if new else None
        ),
        func=_tally_delta(*([_NEW] if new else []), *([_OLD] if old else [])),
    )


# The dashboards' counts (HouseholdTally), kept by the database itself.
_TALLY_TRIGGERS = (
    _tally_trigger(pgtrigger.Insert, old=False, new=True),
    _tally_trigger(pgtrigger.Update, old=True, new=True),
    _tally_trigger(pgtrigger.Delete, old=True, new=False),
)


# The safety level is the safety states' (inspections keeps their history): not an event here.
@tracked(exclude=["safety_level", "safety_level_on", "latest_inspection_on", "latest_occupied"])
class Household(SensitiveNumbersMixin, models.Model):
    village = models.ForeignKey(
        Area,
        verbose_name="村",
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": "village"},
    )
    # Derived from the village code, kept by the database itself.
    county_code = models.GeneratedField(
        expression=Left("village_id", 6),
        output_field=models.CharField(max_length=6),
        db_persist=True,
        verbose_name="县代码",
    )
    township_code = models.GeneratedField(
        expression=Left("village_id", 9),
        output_field=models.CharField(max_length=9),
        db_persist=True,
        verbose_name="乡镇代码",
    )
    head_name = models.CharField("户主姓名", max_length=50)
    id_number = EncryptedTextField("户主身份证号")
    id_number_hash = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField("户主身份证号", max_length=18, editable=False)
    # The last four characters, for the search by ID tail (indexed); kept by the database.
    id_number_tail = models.GeneratedField(
        expression=Right("id_number_masked", 4),
        output_field=models.CharField(max_length=4),
        db_persist=True,
        verbose_name="身份证号后四位",
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)
    family_size = models.PositiveSmallIntegerField("家庭人口")
    category = models.CharField("重点对象类型", max_length=20, choices=Category.choices)
    identified_by = models.CharField(
        "认定部门", max_length=20, choices=Department.choices, blank=True
    )
    identified_on = models.DateField("认定日期", null=True, blank=True)
    is_disabled = models.BooleanField("残疾人", default=False)
    is_military_family = models.BooleanField("军人军属", default=False)
    is_veteran = models.BooleanField("退役军人", default=False)
    is_heroic = models.BooleanField("见义勇为", default=False)
    split_on = models.DateField(
        "分户日期", null=True, blank=True, help_text="近两年分户且无房的农户需重点审核。"
    )
    bank_account = EncryptedTextField("一卡通账号", blank=True)
    bank_account_hash = models.CharField(max_length=64, blank=True, editable=False)
    bank_account_masked = models.CharField("一卡通账号", max_length=40, blank=True, editable=False)
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    note = models.TextField("备注", blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # From the 乡村振兴 monitoring list (防返贫监测), kept as the source system spells it.
    monitoring_household_no = models.CharField("监测户编号", max_length=40, blank=True)
    monitoring_label = models.CharField("监测对象类别", max_length=20, blank=True)
    # Left the departments' lists (风险已消除, or absent from a new full list): no longer a
    # current target; history and any open project stay (issue 15 point 3).
    exited_on = models.DateField("退出日期", null=True, blank=True)
    monitoring_dangerous = models.BooleanField(
        "监测系统“是否危房户”",
        null=True,
        blank=True,
        help_text="与本系统鉴定结果不一致的农户需核实。",
    )
    # The house's current safety state: the newest inspections.SafetyState (by date, then id),
    # written only by that table's trigger (inspections.models.SafetyState), never by the app
    # (the `safety_level_is_the_states` trigger below keeps the old value of any other write).
    # Lists, the ledger, dashboards and reports filter and count on it through an index
    # instead of a subquery per household (issue 18 point 5).
    safety_level = models.CharField(
        "房屋安全状态", max_length=6, null=True, blank=True, editable=False
    )
    safety_level_on = models.DateField("安全状态日期", null=True, blank=True, editable=False)
    # The newest inspection (by date, then id), kept by the inspection records' trigger
    # (inspections.models.InspectionRecord) like the safety level: whether the house is lived
    # in decides a D house's emergency (the ledger, the dashboard).
    latest_inspection_on = models.DateField("最近排查日期", null=True, blank=True, editable=False)
    latest_occupied = models.BooleanField("最近排查是否住人", null=True, editable=False)

    objects = HouseholdQuerySet.as_manager()

    sensitive_numbers = (
        ("id_number", "id_number_hash", "id_number_masked", crypto.mask),
        ("bank_account", "bank_account_hash", "bank_account_masked", crypto.mask_account),
    )

    class Meta:
        verbose_name = "农户"
        verbose_name_plural = "农户"
        ordering = ["village_id", "head_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "id_number_hash"], name="household_id_unique_in_county"
            ),
            models.CheckConstraint(
                name="household_family_size_positive", condition=Q(family_size__gte=1)
            ),
        ]
        indexes = [
            models.Index(fields=["id_number_hash"], name="household_id_hash_idx"),
            # The scoping column (households.models.HouseholdScope) then the list's order:
            # a page of a county or township is a range of one index, never a sort.
            models.Index(
                fields=["county_code", "village", "head_name", "id"],
                name="household_county_order_idx",
            ),
            models.Index(
                fields=["township_code", "village", "head_name", "id"],
                name="household_township_order_idx",
            ),
            models.Index(fields=["village", "head_name", "id"], name="household_village_order_idx"),
            # The category filter, the same way: its page and its capped count (10,001 rows)
            # an index range, not a walk of the area's other categories. A city or province
            # is a range of village codes after the category.
            models.Index(
                fields=["county_code", "category", "village", "head_name", "id"],
                name="household_county_cat_idx",
            ),
            models.Index(
                fields=["township_code", "category", "village", "head_name", "id"],
                name="household_township_cat_idx",
            ),
            models.Index(
                fields=["category", "village", "head_name", "id"], name="household_cat_order_idx"
            ),
            # Name search (`head_name__icontains` is UPPER(head_name) LIKE '%…%'): trigrams.
            GinIndex(
                OpClass(Upper("head_name"), name="gin_trgm_ops"), name="household_name_trgm_idx"
            ),
            models.Index(fields=["id_number_tail"], name="household_id_tail_idx"),
            # The ledger and the counts by level of a county or township.
            models.Index(fields=["county_code", "safety_level"], name="household_county_level_idx"),
            models.Index(
                fields=["township_code", "safety_level"], name="household_township_level_idx"
            ),
            # The ledger's order (inspections.selectors.ledger: occupied D houses first, then
            # the list's order) over its rows only (LEDGER_LEVELS, written out here: the
            # households app does not import inspections; a test holds the two together).
            # A city's first ledger page is then the start of this index, not a sort of all
            # its C/D houses.
            models.Index(
                Case(
                    When(Q(safety_level="D") & Q(latest_occupied=True), then=Value(True)),
                    default=Value(False),
                    output_field=models.BooleanField(),
                ).desc(),
                "village",
                "head_name",
                "id",
                condition=Q(safety_level__in=LEDGER_ORDER_LEVELS),
                name="household_ledger_order_idx",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="safety_level_is_the_states",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=_kept_by_trigger(
                    "anju.writing_safety_level", "safety_level", "safety_level_on"
                )
                + _kept_by_trigger(
                    "anju.writing_latest_inspection", "latest_inspection_on", "latest_occupied"
                )
                + "RETURN NEW;",
            ),
            # The dashboards' counts (HouseholdTally), kept by the database itself.
            *_TALLY_TRIGGERS,
        ]

    def __str__(self) -> str:
        return f"{self.head_name}（{self.id_number_masked}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("households:detail", args=[self.pk])

    @property
    def priority_marks(self) -> list[str]:
        return [label for field, label in PRIORITY_FIELDS.items() if getattr(self, field)]

    @property
    def category_short(self) -> str:
        return CATEGORY_SHORT.get(self.category, self.category)

    @property
    def is_legacy_category(self) -> bool:
        return self.category.startswith("legacy_")


@dataclass(frozen=True)
class TallyScope(Scope):
    """A tally row's area: its county or township (equalities on the indexed columns); a city
    or province is a prefix of the county. A village is finer than a tally row: its counts
    come from its households (`households.tally`)."""

    def area_condition(self, prefix: str) -> Q:
        if len(prefix) == 9:
            return Q(township_code=prefix)
        if len(prefix) == 6:
            return Q(county_code=prefix)
        if len(prefix) < 6:
            return Q(county_code__startswith=prefix)
        raise ValueError("a village's counts come from its households, not from the tally")


class HouseholdTally(models.Model):
    """How many households each township has, by category, current safety level, whether
    they were lived in at the newest inspection and whether they have left the lists: what
    the dashboards count, read in hundreds of rows instead of scanning a county's or a city's
    households (issue 18 point 5).

    Written only by statement-level triggers on the household table (every insert, update,
    delete, COPY and raw SQL, with its transition tables): each statement adds signed rows
    (+n / -n) for the groups it changed, never updates one, so two writers never wait for
    each other here. The sum of `n` over a group is its count; `compact_tally` (Celery beat,
    hourly) folds the rows of each group into one. `safety_level` is '' for none yet.
    """

    township_code = models.CharField(max_length=9)
    county_code = models.CharField(max_length=6)
    category = models.CharField(max_length=20, choices=Category.choices)
    safety_level = models.CharField(max_length=10, blank=True)
    exited = models.BooleanField()
    # Lived in at the newest inspection (null: never inspected): a D house lived in is an
    # emergency.
    occupied = models.BooleanField(null=True)
    n = models.IntegerField()

    objects = scoped_queryset(scope=TallyScope(code="township_code")).as_manager()

    class Meta:
        verbose_name = "农户分类计数"
        indexes = [
            models.Index(fields=["county_code", "category"], name="tally_county_idx"),
            models.Index(fields=["township_code", "category"], name="tally_township_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.township_code} {self.category} {self.safety_level or '-'} {self.n:+d}"


MemberQuerySet = scoped_queryset("household__village")


@tracked()
class Member(SensitiveNumbersMixin, models.Model):
    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedTextField("身份证号", blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True, editable=False)
    relation = models.CharField("与户主关系", max_length=20, choices=Relation.choices)

    objects = MemberQuerySet.as_manager()

    sensitive_numbers = (("id_number", "id_number_hash", "id_number_masked", crypto.mask),)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["household_id", "id"]

    def __str__(self) -> str:
        return self.name


class SensitiveAccessLog(models.Model):
    """Every display of a full ID or bank-card number: who saw whose, when."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=40)
    purpose = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "敏感信息查看记录"
        verbose_name_plural = "敏感信息查看记录"
        ordering = ["-at"]
        triggers = [
            # The log of who saw a full number is itself tamper-proof.
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.field} {self.at:%Y-%m-%d %H:%M}"


class ImportKind(models.TextChoices):
    REGISTRY = "registry", "部门名单"
    MONITORING = "monitoring", "防返贫监测名单"
    HISTORIC = "historic", "历年改造记录"


class HouseholdImportQuerySet(ScopedQuerySet):
    # The uploader's own imports; a county reviewer also sees those of the county.
    scope = Scope(
        code="area__code", owner="created_by", area_roles=frozenset({Role.COUNTY_REVIEWER})
    )


# Named by the first migrations of the import table; new ones name the core function.
_import_upload_to = import_upload_to


@tracked(exclude=["preview"])
class HouseholdImport(ImportRecord):
    """A household list (.xlsx) uploaded for import (`core.imports.pipeline`): a department's
    list, the monitoring export, or earlier years' renovations (`kind`).

    The file is stored encrypted (it holds full ID numbers) and parsed again on confirm;
    `preview` holds only masked numbers.
    """

    # A list from a department starts the 5-working-day appraisal clock for the households it
    # brings in (DOMAIN: new lists appraised within 5 working days of receipt).
    department = models.CharField("来源部门", max_length=20, choices=Department.choices, blank=True)
    received_on = models.DateField("收到名单日期", null=True, blank=True)
    # A department's full list: its monitored households that are not in it leave the list.
    full_list = models.BooleanField("完整名单", default=False)
    to_create = models.PositiveIntegerField("将新增", default=0)
    to_update = models.PositiveIntegerField("将更新", default=0)
    to_keep = models.PositiveIntegerField("无变化", default=0)
    created_count = models.PositiveIntegerField("已新增", default=0)
    updated_count = models.PositiveIntegerField("已更新", default=0)
    unchanged_count = models.PositiveIntegerField("未变化", default=0)
    skipped_count = models.PositiveIntegerField("已跳过", default=0)
    kind = models.CharField(
        "名单类型", max_length=20, choices=ImportKind.choices, default=ImportKind.REGISTRY
    )

    objects = HouseholdImportQuerySet.as_manager()

    class Meta:
        verbose_name = "农户名单导入"
        verbose_name_plural = "农户名单导入"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        if self.kind == ImportKind.MONITORING:
            return reverse("households:monitoring-detail", args=[self.pk])
        if self.kind == ImportKind.HISTORIC:  # the subsidies app's kind (by URL name only)
            return reverse("subsidies:historic-detail", args=[self.pk])
        return reverse("households:import-detail", args=[self.pk])


# --- changes that decide money (issue 16 point 4) ----------------------------------------

#: What the calculator and the 一卡通 roster read: changed by township or village staff only
#: through a request that a county reviewer confirms.
MONEY_FIELDS = ("category", "family_size", "bank_account", "bank_name")
MONEY_FIELD_LABELS = {
    "category": "重点对象类型",
    "family_size": "家庭人口",
    "bank_account": "一卡通账号",
    "bank_name": "开户银行",
    "members": "家庭成员",
}


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "已驳回"


def _change_evidence_to(instance, filename: str) -> str:
    return stored_name(instance, "households/change_evidence")


@tracked(exclude=["old_values", "new_values"])
class HouseholdChange(models.Model):
    """A requested change of what decides a household's money (category, family size,
    members, 一卡通 account): old → new, with evidence; it counts once a county reviewer
    other than the requester confirms it. Until then the household keeps its values."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="changes"
    )
    # JSON of {field: value}; encrypted because account and member ID numbers are in it.
    old_values = EncryptedTextField("原值")
    new_values = EncryptedTextField("新值")
    summary = models.CharField("变更内容", max_length=600)
    evidence = models.FileField(
        "证明材料", upload_to=_change_evidence_to, blank=True, max_length=200
    )
    evidence_content_type = models.CharField(max_length=40, blank=True, editable=False)
    source = models.CharField("来源", max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    status = models.CharField(
        "状态", max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    decision_note = models.CharField("确认意见", max_length=200, blank=True)

    objects = scoped_queryset("household__village").as_manager()

    class Meta:
        verbose_name = "农户信息变更申请"
        verbose_name_plural = "农户信息变更申请"
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Two people: whoever asked for the change does not confirm it.
            models.CheckConstraint(
                name="household_change_four_eyes",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
            ),
            models.CheckConstraint(
                name="household_change_decided_has_decider",
                condition=Q(status="pending") | Q(decided_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "household"], name="household_change_open_idx")]

    def __str__(self) -> str:
        return f"{self.household} {self.summary}"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeStatus.PENDING


@tracked()
class HouseholdExit(models.Model):
    """A household left a department's list: when, whose list, why."""

    household = models.ForeignKey(
        Household, verbose_name="农户", on_delete=models.PROTECT, related_name="exits"
    )
    exited_on = models.DateField("退出日期")
    source = models.CharField("来源", max_length=60)
    reason = models.CharField("原因", max_length=200)
    household_import = models.ForeignKey(
        HouseholdImport,
        verbose_name="导入批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exits",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = scoped_queryset("household__village").as_manager()

    class Meta:
        verbose_name = "退出名单记录"
        verbose_name_plural = "退出名单记录"
        ordering = ["-exited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.exited_on:%Y-%m-%d} {self.reason}"
