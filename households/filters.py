"""Filters shared by the household list page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Area, AreaLevel
from core import crypto
from core.filters import YesNoFilter
from households.models import PRIORITY_FIELDS, Category, Household
from households.monitoring import with_monitoring_mismatch

# Up to this many villages whose name matches a search are passed as a list of codes.
VILLAGE_MATCHES_MAX = 200


def _visible_areas(request, level):
    if request is None:
        return Area.objects.none()
    return Area.objects.visible_to(request.user).filter(level=level)


def is_full_id_number(value: str) -> bool:
    """A whole 18-character ID number (what must never appear in an address)."""
    normalized = crypto.normalize_number(value or "")
    return len(normalized) == 18 and normalized[:17].isdigit()


def id_lookup_token(value: str) -> str:
    """The token that finds a household by its full ID number in a URL: the keyed hash the
    database already indexes, which tells nothing without the server's key."""
    return crypto.search_hash(value)


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="搜索（姓名、身份证后四位、村名）")
    # An exact ID search travels as its keyed hash (`id_lookup_token`), never as the number:
    # query strings end up in access logs and browser histories.
    idt = django_filters.CharFilter(
        label="身份证号查找令牌", field_name="id_number_hash", widget=forms.HiddenInput
    )
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
    exited = YesNoFilter(label="已退出名单", method="filter_exited")

    class Meta:
        model = Household
        fields = [
            "q",
            "idt",
            "township",
            "village",
            "category",
            "priority",
            "monitoring_mismatch",
            "exited",
        ]

    def filter_exited(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(exited_on__isnull=not value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if is_full_id_number(value):
            return queryset.filter(id_number_hash=crypto.search_hash(value))
        normalized = crypto.normalize_number(value)
        # Each part of the OR has its own index (trigrams of the name, the village code, the
        # ID tail), so PostgreSQL combines index scans instead of reading the whole scope.
        # The villages are looked up first (a few hundred names): a join inside the OR
        # would defeat the indexes.
        villages = list(
            _visible_areas(self.request, AreaLevel.VILLAGE)
            .filter(name__icontains=value)
            .values_list("code", flat=True)[: VILLAGE_MATCHES_MAX + 1]
        )
        condition = Q(head_name__icontains=value)
        if len(villages) > VILLAGE_MATCHES_MAX:
            condition |= Q(village__name__icontains=value)  # too common for a list of codes
        elif villages:
            condition |= Q(village_id__in=villages)
        is_id_tail = normalized.isdigit() or (normalized[:-1].isdigit() and normalized[-1] == "X")
        if is_id_tail and len(normalized) == 4:
            condition |= Q(id_number_tail=normalized)
        elif is_id_tail and len(normalized) < 4:
            condition |= Q(id_number_tail__endswith=normalized)
        return queryset.filter(condition)

    def filter_township(self, queryset, name, value):
        return queryset.filter(township_code=value.prefix)

    def filter_priority(self, queryset, name, value):
        return queryset.filter(**{value: True})

    def filter_monitoring_mismatch(self, queryset, name, value):
        return with_monitoring_mismatch(queryset).filter(monitoring_mismatch=value)


def narrow_village_menu(form, user) -> None:
    """Above the county (a city: thousands of villages) the village menu lists the villages
    of the chosen township only, and none before one is chosen; a county's lists them all.
    Only the menu changes: a village given in the address is still accepted."""
    area = getattr(user, "area", None)
    if area is None or len(area.prefix) >= 6:
        return
    field = form.fields["village"]
    township = form.cleaned_data.get("township") if hasattr(form, "cleaned_data") else None
    village = form.cleaned_data.get("village") if hasattr(form, "cleaned_data") else None
    parent = township or (village.parent if village else None)
    field.queryset = field.queryset.filter(parent=parent) if parent else field.queryset.none()
    if parent is None:
        field.empty_label = "（先选乡镇）"


class VillageMenuMixin:
    """For a filtered list page with township and village menus (`narrow_village_menu`)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        narrow_village_menu(self.filterset.form, self.request.user)
        return context
