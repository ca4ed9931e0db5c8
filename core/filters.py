"""Filter widgets every list page shares (django-filter).

Choice filters say "全部" instead of "---------" through FILTERS_EMPTY_CHOICE_LABEL in the
settings; a yes/no filter starts at "全部" (unset) instead of Django's "未知".
"""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

ALL = "全部"


class YesNoSelect(forms.Select):
    """全部 / 是 / 否, sent as "" / "true" / "false" (what the API takes too)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=[("", ALL), ("true", "是"), ("false", "否")])

    def format_value(self, value):
        value = {True: "true", False: "false", "True": "true", "False": "false"}.get(value, value)
        return super().format_value(value)


class YesNoFilter(django_filters.BooleanFilter):
    """A BooleanFilter whose select starts at 全部 (no filtering)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", YesNoSelect)
        super().__init__(*args, **kwargs)


def scope_choice_fields(form, user) -> None:
    """Narrow every model-choice field of a filter form to what `user` may see.

    A filter by `?household=<id>` must not accept (nor look up) another area's row: its
    choices come from the same scoping helper as the list itself.
    """
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "visible_to"):
            field.queryset = queryset.visible_to(user)


class ScopedFilterBackend(DjangoFilterBackend):
    """DRF's django-filter backend with the choices of model filters scoped to the user."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            scope_choice_fields(filterset.form, request.user)
        return filterset
