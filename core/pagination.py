"""Pagination without an exact COUNT(*) over a whole county on every page.

An exact count reads every row of the scope (at a million households, most of a first page's
time). `CappedPaginator` counts at most `COUNT_CAP + 1` rows: below the cap the count is
exact, above it the page says "超过 N 条"; whether there is a next page is known from one
row more than the page, and the number of pages only when someone asks for the last one.
The pages (`ListView.paginator_class`) and the API (`StandardPagination`) share it.
"""

from __future__ import annotations

import math
from functools import cached_property

from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

#: Rows counted at most; above it a list says "超过 COUNT_CAP 条". Counting 10,001 rows along
#: an index takes a few milliseconds; a county's 100,000 rows a few hundred.
COUNT_CAP = 10_000


class CappedPage(Page):
    """A page that knows whether another follows from the extra row it fetched."""

    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def _capped_count(self) -> int:
        """Rows, counted up to cap + 1 (without the list's order: any cap + 1 rows will do)."""
        object_list = self.object_list
        if hasattr(object_list, "order_by") and hasattr(object_list, "query"):
            return object_list.order_by()[: self.cap + 1].count()
        return len(object_list[: self.cap + 1])

    @property
    def capped(self) -> bool:
        """More rows than the cap: `count` is the cap, a lower bound."""
        return self._capped_count > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @cached_property
    def num_pages(self) -> int:
        if not self.capped:
            return super().num_pages
        # Only for "the last page" (page=last): the one exact count, when asked for.
        object_list = self.object_list
        total = object_list.count() if hasattr(object_list, "query") else len(object_list)
        hits = max(1, total - self.orphans)
        return math.ceil(hits / self.per_page)

    @property
    def count_label(self) -> str:
        """ "共 N" or "超过 N": what a page shows before its unit (户, 条)."""
        return f"超过 {self.cap}" if self.capped else f"共 {self.count}"

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        if not self.capped:
            page = super().page(number)
            return CappedPage(
                page.object_list, page.number, self, has_next=page.number < self.num_pages
            )
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, has_next=len(rows) > self.per_page)


class StandardPagination(PageNumberPagination):
    """Page numbers, with a count capped at COUNT_CAP (`count_capped` says when it is)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = CappedPaginator

    def paginate_queryset(self, queryset, request, view=None):
        # A page of an unordered queryset is whatever order the planner picks: two requests
        # may show a row twice or never. Every list gets a deterministic order; a viewset's
        # own ordering (or the ?ordering filter) is kept, with the primary key as tiebreak.
        if hasattr(queryset, "ordered") and not queryset.ordered:
            queryset = queryset.order_by("pk")
        # DRF's own method also asks the paginator for `num_pages`, to decide whether the
        # browsable API shows page links: above the cap that is the exact COUNT(*) the cap
        # avoids, on every request. The page itself knows whether there are other pages.
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=page_number, message=str(exc))
            raise NotFound(message) from exc
        if self.page.has_other_pages() and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = (
            f"行数；超过 {COUNT_CAP} 行时为 {COUNT_CAP}（此时 count_capped 为 true）。"
            " Number of rows, counted up to the cap: when count_capped is true there are"
            " more; follow `next` until it is null."
        )
        properties = {}
        for key, value in schema["properties"].items():
            properties[key] = value
            if key == "count":
                properties["count_capped"] = {
                    "type": "boolean",
                    "example": False,
                    "description": f"true：行数超过 {COUNT_CAP}，count 只是下限。",
                }
        schema["properties"] = properties
        schema["required"] = [*schema.get("required", []), "count_capped"]
        return schema
