"""Role checks shared by every service: one refusal type, one message shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.errors import RoleRefused

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
