"""The one place where data is narrowed to the user's area.

Every area-bound model declares *how* its rows belong to an area as data (a `Scope` on its
`ScopedQuerySet`); `visible_to(user)` and `in_area(area)` here do the rest. Area codes nest
by prefix, so "inside my area" is `<path to an area code> LIKE '<prefix>%'` on an indexed
column.

Scoping cannot be forgotten: while a request is being served (`ScopeGuardMiddleware`), a
queryset of an area-bound model that is evaluated (fetched, counted, aggregated, updated,
deleted) without having gone through `visible_to(user)`, `in_area(...)` or
`unscoped(reason)` raises `ScopeError`. Related managers reached from an object already held
(`household.photos.all()`, prefetches) and `refresh_from_db` count as scoped: the parent was
scoped when it was read.

The guard raises in production too, the same as in tests. A forgotten filter is a leak of
another county's households (names, ID numbers); a 500 on one page is the smaller harm, is
seen at once in the error log, and cannot go unnoticed the way a silent leak does. Logging
instead would keep the leak open until someone reads the log.

Tasks, management commands, migrations and the shell run outside a request and are not
guarded: they act for the system, not for a user, and take area prefixes explicitly. The
admin is superuser-only and shows every row by design; the middleware lets it through.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.forms.models import BaseInlineFormSet

# The reason to give `unscoped()` for the children of a row the caller already found in the
# user's scope (and holds, usually under a row lock): the parent's scope is theirs.
HELD_PARENT = "child of a row found in the user's scope"


class ScopeError(RuntimeError):
    """An area-bound queryset was read, inside a request, without being scoped."""


def area_prefix(user) -> str | None:
    """The code prefix of what `user` may see; '' for superusers, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser and not user.area_id:
        return ""
    if not user.role or user.area is None:
        return None
    return user.area.prefix


@dataclass(frozen=True)
class Scope:
    """How the rows of a model belong to an area.

    `code`: lookup path from the model to an area code string ("household__village__code",
    "area__code", "county_code", "code" for `Area` itself); None when rows belong to a user
    only. A row is visible when that code starts with the user's prefix.
    `county_wide`: the whole county of the user sees the row (its code is matched against
    the user's county, the first 6 digits).
    `with_ancestors`: also rows bound to an area the user lies within (a campaign over the
    whole township is visible to its villages).
    `many`: `code` crosses a many-valued relation; filter through a subquery (no duplicates).
    `owner`: lookup to the user who owns the row (e.g. "created_by"): owners always see it.
    `area_roles`: with `owner`, only these roles see the rows of their area as well.
    """

    code: str | None
    county_wide: bool = False
    with_ancestors: bool = False
    many: bool = False
    owner: str | None = None
    area_roles: frozenset[str] | None = field(default=None)

    def area_condition(self, prefix: str) -> Q:
        """The rows inside the area of code prefix `prefix`."""
        return Q(**{f"{self.code}__startswith": prefix})

    def user_condition(self, user, prefix: str) -> Q | None:
        """The rows `user` (with area prefix `prefix`) may see; None for all of them."""
        if self.code is None:
            return Q(**{self.owner: user})
        if prefix == "":
            return None
        area_prefix_ = prefix[:6] if self.county_wide else prefix
        condition = self.area_condition(area_prefix_)
        if self.with_ancestors:
            code = user.area.code
            ancestors = {code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)}
            condition |= Q(**{f"{self.code}__in": ancestors})
        if self.owner is not None:
            if self.area_roles is not None and user.role not in self.area_roles:
                return Q(**{self.owner: user})
            condition |= Q(**{self.owner: user})
        return condition


_unscoped_reason: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "anju_unscoped_reason", default=None
)
_guard_armed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "anju_scope_guard_armed", default=False
)


@contextmanager
def unscoped(reason: str) -> Iterator[None]:
    """Read area-bound models without a user's scope inside this block, for `reason`."""
    if not reason:
        raise ValueError("unscoped() needs a reason")
    token = _unscoped_reason.set(reason)
    try:
        yield
    finally:
        _unscoped_reason.reset(token)


@contextmanager
def scope_guard() -> Iterator[None]:
    """Arm the guard: unscoped reads of area-bound models raise `ScopeError` inside."""
    token = _guard_armed.set(True)
    try:
        yield
    finally:
        _guard_armed.reset(token)


class ScopeGuardMiddleware:
    """Arms the guard for each request; the admin (superusers only) reads everything."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            with scope_guard():
                return self.get_response(request)
        finally:
            token = getattr(request, "_anju_unscoped_token", None)
            if token is not None:
                _unscoped_reason.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and "admin" in match.namespaces:
            token = _unscoped_reason.set("the admin: superusers see every area")
            request._anju_unscoped_token = token
        return None


class ScopedQuerySet(models.QuerySet):
    #: Lookup path from the model to its village (or other area), e.g. "household__village".
    area_lookup: str = "village"
    #: How rows belong to an area; by default the code of `area_lookup`.
    scope: Scope | None = None
    #: Whether unscoped reads raise (areas themselves are public within the system).
    guarded: bool = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scoped_by: str | None = None

    @classmethod
    def get_scope(cls) -> Scope:
        if cls.scope is not None:
            return cls.scope
        return Scope(code=f"{cls.area_lookup}__code" if cls.area_lookup else "code")

    def _clone(self):
        clone = super()._clone()
        clone._scoped_by = self._scoped_by
        return clone

    def _marked(self, how: str):
        self._scoped_by = how
        return self

    def _narrow(self, condition: Q | None):
        if condition is None:
            return self._chain()
        scope = self.get_scope()
        if scope.many:
            inner = self.model._base_manager.filter(condition).values("pk")
            return self.filter(pk__in=inner)
        return self.filter(condition)

    def visible_to(self, user):
        """The rows `user` may see."""
        prefix = area_prefix(user)
        if prefix is None:
            return self.none()
        condition = self.get_scope().user_condition(user, prefix)
        return self._narrow(condition)._marked("visible_to")

    def in_area(self, area):
        """The rows inside `area` (an `Area` or a code prefix; '' is every area)."""
        prefix = area if isinstance(area, str) else area.prefix
        condition = self.get_scope().area_condition(prefix) if prefix else None
        return self._narrow(condition)._marked("in_area")

    def area_q(self, area) -> Q:
        """The condition of `in_area(area)`, to combine with others (`|`)."""
        prefix = area if isinstance(area, str) else area.prefix
        return self.get_scope().area_condition(prefix)

    def none(self):
        # Nothing is read: no scope is needed (an unsaved parent's inline formset).
        return super().none()._marked("none")

    def unscoped(self, reason: str):
        """Every row, on purpose: `reason` says why no user's scope applies here."""
        if not reason:
            raise ValueError("unscoped() needs a reason")
        return self._chain()._marked(f"unscoped: {reason}")

    # The guard. Every way a queryset reaches the database passes one of these.
    def _check_scope(self) -> None:
        if self._scoped_by is not None or not self.guarded or not _guard_armed.get():
            return
        if _unscoped_reason.get() is not None or "instance" in self._hints:
            return  # an explicit unscoped() block, or a related manager of a held object
        raise ScopeError(
            f"{self.model.__name__} read without a scope: use visible_to(user), "
            "in_area(area) or unscoped(reason)"
        )

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scope()
        return super().iterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._check_scope()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scope()
        return super().update(**kwargs)

    def delete(self):
        self._check_scope()
        return super().delete()

    def bulk_update(self, objs, fields, batch_size=None):
        # The objects are held already: they were read through a scope.
        held = self._chain()._marked("held objects")
        return super(ScopedQuerySet, held).bulk_update(objs, fields, batch_size=batch_size)

    def contains(self, obj):
        self._check_scope()
        return super().contains(obj)


class HeldParentInlineFormSet(BaseInlineFormSet):
    """An inline formset edits the children of a parent the view already holds (scoped)."""

    def __init__(self, *args, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.model._default_manager.unscoped("children of the held parent")
        super().__init__(*args, queryset=queryset, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Django looks a posted child id up in the whole table for extra forms: narrow it to
        # the held parent's children, so a junk or foreign id is an invalid choice.
        field = form.fields.get(self.model._meta.pk.name)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self.queryset


def scoped_queryset(area_lookup: str = "", scope: Scope | None = None):
    """A ScopedQuerySet subclass for a model whose area is at `area_lookup` (or `scope`)."""
    name = (area_lookup or "custom").replace("__", "_")
    return type(
        f"ScopedQuerySet_{name}",
        (ScopedQuerySet,),
        {"area_lookup": area_lookup, "scope": scope},
    )
