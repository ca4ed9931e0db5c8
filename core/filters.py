"""Filter widgets every list page shares (django-filter).

Choice filters say "全部" instead of "---------" through FILTERS_EMPTY_CHOICE_LABEL in the
settings; a yes/no filter starts at "全部" (unset) instead of Django's "未知".
"""

from __future__ import annotations

import django_filters
from django import forms

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
