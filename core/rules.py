"""Checks shared by every service: the role check (one refusal type, one message shape) and
the date a user must give."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import timezone

from core.errors import DomainError, RoleRefused

if TYPE_CHECKING:
    from accounts.models import User


def has_role(by: User, roles: Iterable[str]) -> bool:
    """True when `by` holds one of `roles`; a superuser without a role may do anything."""
    if by.is_superuser and not by.role:
        return True
    return by.role in tuple(roles)


def require_role(by: User, roles: Iterable[str], action: str) -> None:
    """Refuse `action` (Chinese, e.g. "批准项目") unless `by` holds one of `roles`."""
    if not has_role(by, roles):
        raise RoleRefused(f"您的角色无权{action}。")


def date_given(day: dt.date | None, label: str, today: dt.date | None = None) -> dt.date:
    """`day`, a date the user must give and that cannot be after today (`today`, or the local
    date): "请填写<label>。" when missing, "<label>不能晚于今天。" when later."""
    if day is None:
        raise DomainError(f"请填写{label}。")
    if day > (today or timezone.localdate()):
        raise DomainError(f"{label}不能晚于今天。")
    return day
