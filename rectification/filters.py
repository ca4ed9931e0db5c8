"""Filters shared by the ledger page, its downloads and the API."""

from __future__ import annotations

import django_filters

from accounts.models import Area
from core.filters import YesNoFilter
from rectification.models import (
    Complaint,
    ComplaintChannel,
    FindingStatus,
    ItemStatus,
    ProblemType,
    RectificationCampaign,
    RectificationItem,
    SelfCheckFinding,
    Source,
)


def _areas(request):
    if request is None:
        return Area.objects.none()
    return Area.objects.visible_to(request.user).select_related("parent")


def _campaigns(request):
    if request is None:
        return RectificationCampaign.objects.none()
    return RectificationCampaign.objects.visible_to(request.user)


class ItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="搜索（具体问题、问题简述）")
    campaign = django_filters.ModelChoiceFilter(label="整改批次", queryset=_campaigns)
    area = django_filters.ModelChoiceFilter(
        label="区划", queryset=_areas, method="filter_area", to_field_name="code"
    )
    status = django_filters.ChoiceFilter(label="状态", choices=ItemStatus.choices)
    source = django_filters.ChoiceFilter(label="问题来源", choices=Source.choices)
    problem_type = django_filters.ChoiceFilter(label="类型", choices=ProblemType.choices)
    overdue = YesNoFilter(method="filter_overdue", label="只看超期")

    class Meta:
        model = RectificationItem
        fields = ["q", "campaign", "area", "status", "source", "problem_type"]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(findings__icontains=value))

    def filter_area(self, queryset, name, value):
        return queryset.in_area(value)

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        from django.utils import timezone

        return queryset.filter(deadline__lt=timezone.localdate()).exclude(status=ItemStatus.CLOSED)


class ComplaintFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(label="渠道", choices=ComplaintChannel.choices)
    closed = YesNoFilter(label="已办结")
    area = django_filters.ModelChoiceFilter(
        label="区划", queryset=_areas, method="filter_area", to_field_name="code"
    )

    class Meta:
        model = Complaint
        fields = ["channel", "closed", "area"]

    def filter_area(self, queryset, name, value):
        return queryset.in_area(value)


class FindingFilter(django_filters.FilterSet):
    rule = django_filters.CharFilter(label="规则")
    status = django_filters.ChoiceFilter(label="状态", choices=FindingStatus.choices)

    class Meta:
        model = SelfCheckFinding
        fields = ["rule", "status"]
