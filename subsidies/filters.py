"""Filters of the 拨付明细 page (payout lines)."""

from __future__ import annotations

import django_filters

from subsidies.models import LineStatus, PayoutLine


class LineFilter(django_filters.FilterSet):
    batch = django_filters.CharFilter(
        label="批次编号", field_name="batch__number", lookup_expr="icontains"
    )
    name = django_filters.CharFilter(
        label="户主", field_name="project__household__head_name", lookup_expr="icontains"
    )
    year = django_filters.NumberFilter(label="年度", field_name="project__year")
    status = django_filters.ChoiceFilter(label="状态", choices=LineStatus.choices)

    class Meta:
        model = PayoutLine
        fields = ["batch", "name", "year", "status"]
