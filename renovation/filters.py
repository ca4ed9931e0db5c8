"""Filters shared by the project list page, the batch approval and the API."""

from __future__ import annotations

import django_filters

from households.filters import HouseholdFilter
from households.models import Category
from renovation.models import DangerLevel, ProjectStatus, RenovationProject
from renovation.selectors import ready_for_approval


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="搜索（户主姓名、村名）")
    township = HouseholdFilter.base_filters["township"]
    village = django_filters.ModelChoiceFilter(
        label="村",
        field_name="household__village",
        queryset=HouseholdFilter.base_filters["village"].queryset,
    )
    status = django_filters.ChoiceFilter(label="状态", choices=ProjectStatus.choices)
    year = django_filters.NumberFilter(label="年度")
    category = django_filters.ChoiceFilter(
        label="重点对象类型", field_name="household__category", choices=Category.choices
    )
    level = django_filters.ChoiceFilter(
        label="危房等级", field_name="danger_level", choices=DangerLevel.choices
    )
    ready = django_filters.ChoiceFilter(
        label="公示期满", choices=[("yes", "可批准的")], method="filter_ready"
    )

    class Meta:
        model = RenovationProject
        fields = ["q", "township", "village", "status", "year", "category", "level", "ready"]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(household__head_name__icontains=value) | Q(household__village__name__icontains=value)
        )

    def filter_ready(self, queryset, name, value):
        """Only projects the approver may approve today (`selectors.ready_for_approval`)."""

        # As a subquery: the list's own aggregates (open objections) and this rule's count of
        # ended publicities would otherwise join the same tables and multiply each other.
        return queryset.filter(pk__in=ready_for_approval(queryset.model.objects.all()).values("pk"))

    def filter_township(self, queryset, name, value):
        return queryset.filter(household__township_code=value.prefix)
