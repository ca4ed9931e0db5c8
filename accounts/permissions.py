"""Who may do what. Reading is scoped by area (accounts.scoping); writing also by role."""

from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from accounts.models import Role

WRITE_ROLES_DEFAULT = frozenset(
    {Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER, Role.TOWNSHIP_STAFF, Role.VILLAGE_CLERK}
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def has_any_role(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.role or user.is_superuser)
    )


def can_write(user, write_roles=WRITE_ROLES_DEFAULT) -> bool:
    if not has_any_role(user):
        return False
    if user.is_superuser and not user.role:
        return True
    return user.role in write_roles


class RolePermission(permissions.BasePermission):
    """Default for every API view: a role is needed to read; a write role to write.

    A view narrows writers with `write_roles`; officials (read-only) are never writers.
    """

    message = "您的角色无权执行此操作。"

    def has_permission(self, request, view) -> bool:
        if not has_any_role(request.user):
            return False
        if request.method in SAFE_METHODS:
            return True
        if can_write(request.user, getattr(view, "write_roles", WRITE_ROLES_DEFAULT)):
            return True
        # Another area's object is a 404 before it is a 403: look it up (scoped) first.
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if hasattr(view, "get_object") and lookup in getattr(view, "kwargs", {}):
            view.get_object()
        return False


class ReadPermission(permissions.BasePermission):
    """An API action that is posted but only reads (a search by a number that must stay out
    of the URL): any role may, officials included."""

    message = RolePermission.message

    def has_permission(self, request, view) -> bool:
        return has_any_role(request.user)


class RoleRequiredMixin(AccessMixin):
    """Pages: sign-in required; a write role for anything but GET/HEAD."""

    write_roles = WRITE_ROLES_DEFAULT
    #: Roles that may even open the page (None: every role).
    read_roles = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_any_role(request.user):
            raise PermissionDenied("您的账号尚未分配角色或区划，请联系县住建局管理员。")
        if self.read_roles is not None and not (
            request.user.role in self.read_roles or request.user.is_superuser
        ):
            raise PermissionDenied("您的角色无权访问此页面。")
        if self.is_write(request) and not can_write(request.user, self.write_roles):
            raise PermissionDenied("您的角色无权执行此操作。")
        return super().dispatch(request, *args, **kwargs)

    def requires_write(self) -> bool:
        """Pages whose GET already prepares a write (forms) are for writers only."""
        return False

    def is_write(self, request) -> bool:
        """A POST writes, unless the page says otherwise (a search posted to keep an ID number
        out of the address, `households.views.HouseholdListView`)."""
        return request.method not in SAFE_METHODS or self.requires_write()
