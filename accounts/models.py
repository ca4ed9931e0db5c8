from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from accounts.scoping import Scope, ScopedQuerySet
from core.audit import tracked


class AreaLevel(models.TextChoices):
    COUNTY = "county", "县（区）"
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "行政村（社区）"


# Statistical division codes (统计用区划代码): 2 province + 2 city + 2 county + 3 township +
# 3 village digits. An area's descendants are exactly the codes that start with its prefix.
PREFIX_LENGTH = {AreaLevel.COUNTY: 6, AreaLevel.TOWNSHIP: 9, AreaLevel.VILLAGE: 12}
PARENT_LEVEL = {AreaLevel.TOWNSHIP: AreaLevel.COUNTY, AreaLevel.VILLAGE: AreaLevel.TOWNSHIP}


def level_of_code(code: str) -> str:
    if code.endswith("000000"):
        return AreaLevel.COUNTY
    if code.endswith("000"):
        return AreaLevel.TOWNSHIP
    return AreaLevel.VILLAGE


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
                    Q(level="county", code__endswith="000000")
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
    def county_code(self) -> str:
        return self.code[:6] + "000000"

    @property
    def township_code(self) -> str | None:
        if self.level == AreaLevel.COUNTY:
            return None
        return self.code[:9] + "000"

    def clean(self) -> None:
        expected = level_of_code(self.code or "")
        if self.level and self.level != expected:
            raise ValidationError({"level": f"区划代码 {self.code} 对应的级别应为“{expected}”。"})
        if self.level in PARENT_LEVEL:
            if self.parent is None:
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


# The level of area each role must belong to (officials may sit at any level).
ROLE_AREA_LEVEL = {
    Role.COUNTY_REVIEWER: {AreaLevel.COUNTY},
    Role.COUNTY_APPROVER: {AreaLevel.COUNTY},
    Role.TOWNSHIP_STAFF: {AreaLevel.TOWNSHIP},
    Role.VILLAGE_CLERK: {AreaLevel.VILLAGE},
    Role.OFFICIAL: {AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE},
}
COUNTY_ROLES = {Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER}
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
        return self.role == Role.OFFICIAL

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
