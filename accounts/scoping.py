"""The one place where data is narrowed to the user's area.

Every household-related queryset (pages, API, exports, tasks) goes through
`ScopedQuerySet.visible_to(user)`. Area codes nest by prefix, so "inside my area" is
`<path to village code> LIKE '<prefix>%'` on an indexed column.
"""

from __future__ import annotations

from django.db import models


def area_prefix(user) -> str | None:
    """The code prefix of what `user` may see; '' for superusers, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser and not user.area_id:
        return ""
    if not user.role or user.area is None:
        return None
    return user.area.prefix


class ScopedQuerySet(models.QuerySet):
    #: Lookup path from the model to its village's code, e.g. "household__village".
    area_lookup: str = "village"

    def visible_to(self, user):
        prefix = area_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self
        return self.filter(**{f"{self.area_lookup}__code__startswith": prefix})

    def in_area(self, code: str):
        from accounts.models import Area

        area = Area.objects.get(pk=code)
        return self.filter(**{f"{self.area_lookup}__code__startswith": area.prefix})


def scoped_queryset(area_lookup: str):
    """A ScopedQuerySet subclass for a model whose village is at `area_lookup`."""
    return type(
        f"ScopedQuerySet_{area_lookup.replace('__', '_')}",
        (ScopedQuerySet,),
        {"area_lookup": area_lookup},
    )
