"""Filters shared by the household list page and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Area, AreaLevel
from core import crypto
from core.filters import YesNoFilter
from households.models import PRIORITY_FIELDS, Category, Household


def _visible_areas(request, level):
    if request is None:
        return Area.objects.none()
    return Area.objects.visible_to(request.user).filter(level=level)


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="搜索（姓名、身份证后四位、村名）")
    # Area filters take the 12-digit area code (documented as a string in the API schema).
    township = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelChoiceFilter(
            label="乡镇",
            queryset=lambda request: _visible_areas(request, AreaLevel.TOWNSHIP),
            method="filter_township",
        )
    )
    village = django_filters.ModelChoiceFilter(
        label="村", queryset=lambda request: _visible_areas(request, AreaLevel.VILLAGE)
    )
    category = django_filters.ChoiceFilter(label="重点对象类型", choices=Category.choices)
    priority = django_filters.ChoiceFilter(
        label="优先标识", choices=list(PRIORITY_FIELDS.items()), method="filter_priority"
    )
    monitoring_mismatch = YesNoFilter(
        label="需核实（监测“是否危房户”与鉴定不一致）", method="filter_monitoring_mismatch"
    )

    class Meta:
        model = Household
        fields = ["q", "township", "village", "category", "priority", "monitoring_mismatch"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        normalized = crypto.normalize_number(value)
        if len(normalized) == 18:
            return queryset.filter(id_number_hash=crypto.search_hash(normalized))
        condition = Q(head_name__icontains=value) | Q(village__name__icontains=value)
        is_id_tail = normalized.isdigit() or (normalized[:-1].isdigit() and normalized[-1] == "X")
        if is_id_tail and len(normalized) <= 4:
            condition |= Q(id_number_masked__endswith=normalized)
        return queryset.filter(condition)

    def filter_township(self, queryset, name, value):
        return queryset.filter(township_code=value.prefix)

    def filter_priority(self, queryset, name, value):
        return queryset.filter(**{value: True})

    def filter_monitoring_mismatch(self, queryset, name, value):
        from households.monitoring import with_monitoring_mismatch

        return with_monitoring_mismatch(queryset).filter(monitoring_mismatch=value)
