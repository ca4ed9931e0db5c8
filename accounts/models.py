from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from accounts.scoping import Scope, ScopedQuerySet
from core.audit import tracked


class AreaLevel(models.TextChoices):
    PROVINCE = "province", "省（自治区、直辖市）"
    CITY = "city", "市（地区、州、盟）"
    COUNTY = "county", "县（区）"
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "行政村（社区）"


# Statistical division codes (统计用区划代码): 2 province + 2 city + 2 county + 3 township +
# 3 village digits. An area's descendants are exactly the codes that start with its prefix.
PREFIX_LENGTH = {
    AreaLevel.PROVINCE: 2,
    AreaLevel.CITY: 4,
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
}
PARENT_LEVEL = {
    AreaLevel.CITY: AreaLevel.PROVINCE,
    AreaLevel.COUNTY: AreaLevel.CITY,
    AreaLevel.TOWNSHIP: AreaLevel.COUNTY,
    AreaLevel.VILLAGE: AreaLevel.TOWNSHIP,
}
# Levels whose parent may be missing: an installation that serves one county (or one city)
# has no area above it. A township or a village always sits in its county.
PARENT_OPTIONAL = frozenset({AreaLevel.CITY, AreaLevel.COUNTY})
#: The levels above the county: their users watch, assign and check, the counties do the work.
HIGHER_LEVELS = frozenset({AreaLevel.PROVINCE, AreaLevel.CITY})


def level_of_code(code: str) -> str:
    """The level of a 12-digit code: the zeros it ends with say how far down it reaches."""
    if code.endswith("0000000000"):
        return AreaLevel.PROVINCE
    if code.endswith("00000000"):
        return AreaLevel.CITY
    if code.endswith("000000"):
        return AreaLevel.COUNTY
    if code.endswith("000"):
        return AreaLevel.TOWNSHIP
    return AreaLevel.VILLAGE


def parent_code(code: str) -> str | None:
    """The code of the area directly above `code` (None for a province)."""
    level = level_of_code(code)
    if level == AreaLevel.PROVINCE:
        return None
    keep = PREFIX_LENGTH[PARENT_LEVEL[level]]
    return code[:keep].ljust(12, "0")


class AreaQuerySet(ScopedQuerySet):
    # An area is inside the user's area when its own code starts with the user's prefix.
    # Area names and codes are not secret: unscoped reads do not raise.
    scope = Scope(code="code")
    guarded = False

    def townships(self):
        return self.filter(level=AreaLevel.TOWNSHIP)

    def villages(self):
        return self.filter(level=AreaLevel.VILLAGE)


@tracked()
class Area(models.Model):
    code = models.CharField(
        "区划代码",
        max_length=12,
        primary_key=True,
        validators=[RegexValidator(r"^\d{12}$", "区划代码必须是12位数字。")],
    )
    name = models.CharField("名称", max_length=60)
    level = models.CharField("级别", max_length=10, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="area_code_is_12_digits", condition=Q(code__regex=r"^[0-9]{12}$")
            ),
            models.CheckConstraint(
                name="area_level_matches_code",
                condition=(
                    Q(level="province", code__endswith="0000000000")
                    | Q(level="city", code__endswith="00000000") & ~Q(code__endswith="0000000000")
                    | Q(level="county", code__endswith="000000") & ~Q(code__endswith="00000000")
                    | Q(level="township", code__endswith="000") & ~Q(code__endswith="000000")
                    | Q(level="village") & ~Q(code__endswith="000")
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[self.level]]

    @property
    def is_higher(self) -> bool:
        """A city or a province: above the counties that do the work."""
        return self.level in HIGHER_LEVELS

    @property
    def county_code(self) -> str | None:
        """The code of the county this area lies in (None above the county)."""
        if self.is_higher:
            return None
        return self.code[:6] + "000000"

    @property
    def township_code(self) -> str | None:
        if self.is_higher or self.level == AreaLevel.COUNTY:
            return None
        return self.code[:9] + "000"

    def clean(self) -> None:
        expected = level_of_code(self.code or "")
        if self.level and self.level != expected:
            raise ValidationError({"level": f"区划代码 {self.code} 对应的级别应为“{expected}”。"})
        if self.level in PARENT_LEVEL:
            if self.parent is None:
                if self.level in PARENT_OPTIONAL:
                    return
                raise ValidationError({"parent": "乡镇和村必须有上级区划。"})
            if self.parent.level != PARENT_LEVEL[self.level] or not self.code.startswith(
                self.parent.prefix
            ):
                raise ValidationError({"parent": "上级区划与区划代码不一致。"})


class Role(models.TextChoices):
    COUNTY_REVIEWER = "county_reviewer", "县住建局审核员"
    COUNTY_APPROVER = "county_approver", "县分管领导（审批）"
    TOWNSHIP_STAFF = "township_staff", "乡镇工作人员"
    VILLAGE_CLERK = "village_clerk", "村委会"
    OFFICIAL = "official", "只读（领导/督查）"
    CITY_REVIEWER = "city_reviewer", "市住建局审核员"
    CITY_OFFICIAL = "city_official", "市级只读（领导/督查）"
    PROVINCE_REVIEWER = "province_reviewer", "省住建厅审核员"
    PROVINCE_OFFICIAL = "province_official", "省级只读（领导/督查）"


# The level of area each role must belong to (county officials may sit at any level below).
ROLE_AREA_LEVEL = {
    Role.COUNTY_REVIEWER: {AreaLevel.COUNTY},
    Role.COUNTY_APPROVER: {AreaLevel.COUNTY},
    Role.TOWNSHIP_STAFF: {AreaLevel.TOWNSHIP},
    Role.VILLAGE_CLERK: {AreaLevel.VILLAGE},
    Role.OFFICIAL: {AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE},
    Role.CITY_REVIEWER: {AreaLevel.CITY},
    Role.CITY_OFFICIAL: {AreaLevel.CITY},
    Role.PROVINCE_REVIEWER: {AreaLevel.PROVINCE},
    Role.PROVINCE_OFFICIAL: {AreaLevel.PROVINCE},
}
COUNTY_ROLES = {Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER}
# Above the county: they read their area, download, assign targets and run spot checks
# (reviewers); they change nothing of the counties' own work.
HIGHER_REVIEWER_ROLES = frozenset({Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER})
HIGHER_ROLES = HIGHER_REVIEWER_ROLES | {Role.CITY_OFFICIAL, Role.PROVINCE_OFFICIAL}
# Each reviewer manages the accounts of the level below (accounts.services.MANAGED_BY).
ACCOUNT_MANAGER_ROLES = frozenset({Role.COUNTY_REVIEWER}) | HIGHER_REVIEWER_ROLES
# Roles that change nothing of a county's records (the pages hide their edit buttons).
READ_ONLY_ROLES = frozenset({Role.OFFICIAL}) | HIGHER_ROLES
# Roles that may see full ID and bank-card numbers (every display is logged).
FULL_NUMBER_ROLES = {Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER}


# Role, area, name and the active flag are audited; the password hash and the time of the
# last sign-in are not (a sign-in is not a change of the account).
@tracked(exclude=["password", "last_login"])
class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=20, choices=Role.choices, blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name="所属区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField("电话", max_length=20, blank=True)
    # Set when the county resets the password (the reset is then an event in the history).
    password_reset_at = models.DateTimeField("密码重置时间", null=True, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES

    @property
    def is_higher(self) -> bool:
        """A city or province account: reads its counties, assigns and checks."""
        return self.role in HIGHER_ROLES

    @property
    def manages_accounts(self) -> bool:
        """Opens the accounts of the level below (账号管理, accounts.services.MANAGED_BY)."""
        return self.is_superuser or self.role in ACCOUNT_MANAGER_ROLES

    @property
    def is_county(self) -> bool:
        return self.role in COUNTY_ROLES

    @property
    def may_see_full_numbers(self) -> bool:
        return self.role in FULL_NUMBER_ROLES

    def clean(self) -> None:
        super().clean()
        if self.role:
            if self.area is None:
                raise ValidationError({"area": "请为该用户选择所属区划。"})
            if self.area.level not in ROLE_AREA_LEVEL[self.role]:
                role, level = self.get_role_display(), self.area.get_level_display()
                raise ValidationError({"area": f"角色“{role}”不能属于{level}级区划。"})
