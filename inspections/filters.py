"""Filters shared by the ledger page, its export and the API."""

from __future__ import annotations

import django_filters
from django import forms

from households.filters import HouseholdFilter
from households.models import Category, Household
from inspections.models import LEDGER_LEVELS, SafetyLevel

LEVEL_CHOICES = [(v, label) for v, label in SafetyLevel.choices if v in LEDGER_LEVELS]
ALL = "全部"


def _yes_no_filter(label: str, field_name: str) -> django_filters.BooleanFilter:
    # "true"/"false" in the query string, for the page and the API alike.
    widget = forms.Select(choices=[("", ALL), ("true", "是"), ("false", "否")])
    return django_filters.BooleanFilter(label=label, field_name=field_name, widget=widget)


class LedgerFilter(django_filters.FilterSet):
    township = HouseholdFilter.base_filters["township"]
    village = HouseholdFilter.base_filters["village"]
    level = django_filters.ChoiceFilter(
        label="安全等级", field_name="current_level", choices=LEVEL_CHOICES, empty_label=ALL
    )
    category = django_filters.ChoiceFilter(
        label="重点对象类型", choices=Category.choices, empty_label=ALL
    )
    occupied = _yes_no_filter("是否住人（最近一次排查）", "last_occupied")
    overdue = _yes_no_filter("鉴定超期", "overdue")
    emergency = _yes_no_filter("D级住人（紧急）", "emergency")

    class Meta:
        model = Household
        fields: list[str] = []

    def filter_township(self, queryset, name, value):
        return queryset.filter(township_code=value.prefix)


class OverviewFilter(django_filters.FilterSet):
    q = HouseholdFilter.base_filters["q"]
    township = HouseholdFilter.base_filters["township"]
    village = HouseholdFilter.base_filters["village"]
    level = django_filters.ChoiceFilter(
        label="安全等级", field_name="current_level", choices=SafetyLevel.choices, empty_label=ALL
    )

    class Meta:
        model = Household
        fields: list[str] = []

    filter_q = HouseholdFilter.filter_q
    filter_township = HouseholdFilter.filter_township
