"""Forms of the county's account management (the rules live in accounts.services)."""

from __future__ import annotations

from django import forms

from accounts.models import ROLE_AREA_LEVEL, Area, AreaLevel, Role
from accounts.services import MANAGED_ROLES, managed_roles

ROLE_CHOICES = [(r.value, r.label) for r in Role if r in MANAGED_ROLES]


def _area_field(user) -> forms.ModelChoiceField:
    roles = managed_roles(user) or MANAGED_ROLES
    levels = sorted({level for role in roles for level in ROLE_AREA_LEVEL[role]})
    areas = (
        Area.objects.visible_to(user)
        .filter(level__in=levels)
        .select_related("parent")
        .order_by("code")
    )
    hint = "；".join(
        f"{Role(r).label}选{'或'.join(AreaLevel(v).label for v in sorted(ROLE_AREA_LEVEL[r]))}"
        for r in roles
    )
    field = forms.ModelChoiceField(
        label="所属区划",
        queryset=areas,
        help_text=hint + "。",
        error_messages={
            "invalid_choice": "请选择本辖区内的区划。",
            "required": "请选择所属区划。",
        },
    )
    field.label_from_instance = lambda a: (
        f"{a.parent.name} {a.name}" if a.level == AreaLevel.VILLAGE else a.name
    )
    return field


class StaffForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="角色", choices=ROLE_CHOICES)
    phone = forms.CharField(label="电话", max_length=20, required=False)
    email = forms.EmailField(
        label="电子邮箱",
        required=False,
        help_text="超期预警邮件发往此地址。",
        error_messages={"invalid": "请输入有效的电子邮箱地址。"},
    )

    def __init__(self, *args, manager, **kwargs):
        super().__init__(*args, **kwargs)
        roles = managed_roles(manager) or MANAGED_ROLES
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in roles]
        self.fields["area"] = _area_field(manager)
        self.order_fields(["full_name", "role", "area", "phone", "email"])


class StaffCreateForm(StaffForm):
    username = forms.CharField(
        label="登录名", max_length=150, help_text="字母、数字或 @/./+/-/_，开设后不能修改。"
    )
    password1 = forms.CharField(label="初始密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="再次输入密码", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(
            ["username", "full_name", "role", "area", "phone", "email", "password1", "password2"]
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return cleaned


class StaffUpdateForm(StaffForm):
    is_active = forms.BooleanField(
        label="账号启用", required=False, help_text="停用后该账号立即无法登录，历史记录保留。"
    )


class StaffPasswordForm(forms.Form):
    password1 = forms.CharField(label="新的初始密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="再次输入密码", widget=forms.PasswordInput, strip=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return cleaned
