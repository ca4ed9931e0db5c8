"""Pagination without an exact COUNT(*) over a whole county on every page.

An exact count reads every row of the scope (at a million households, most of a first page's
time). `CappedPaginator` counts at most `COUNT_CAP + 1` rows: below the cap the count is
exact, above it the page says "超过 N 条"; whether there is a next page is known from one
row more than the page, and the number of pages only when someone asks for the last one.
The pages (`ListView.paginator_class`) and the API (`StandardPagination`) share it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from functools import cached_property

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

#: Rows counted at most; above it a list says "超过 COUNT_CAP 条". Counting 10,001 rows along
#: an index takes a few milliseconds; a county's 100,000 rows a few hundred.
COUNT_CAP = 10_000

#: From this many rows into a list on, a page asked for by number finds its rows' primary keys
#: first (`SELECT pk … ORDER BY … OFFSET n LIMIT m`, which an index of the scope and the
#: order answers without reading the table: an index-only scan) and then reads only those
#: rows. A plain OFFSET reads every row before the page from the table: at a million
#: households, page 25,000 of a city took 1.5 s that way, and 0.1 s with the keys first.
DEEP_OFFSET = 1_000


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
        """Rows, counted up to cap + 1. Any cap + 1 rows will do, but an order that an index
        of the scope serves (`Keyset`: the list's own columns) is kept: without it the
        planner reads the table from its start, assuming the area's rows are spread evenly,
        and a county whose households were loaded last is read past every other county's
        first (measured at 1,000,000 households: 155 ms instead of 3–40 ms)."""
        object_list = self.object_list
        if hasattr(object_list, "order_by") and hasattr(object_list, "query"):
            if not Keyset(object_list):
                object_list = object_list.order_by()
            return object_list[: self.cap + 1].count()
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

    def _rows(self, bottom: int, top: int) -> list:
        object_list = self.object_list
        if bottom < DEEP_OFFSET or not _keys_first(object_list):
            return list(object_list[bottom:top])
        # One query still: the keys are a subquery (`pk IN (SELECT pk … OFFSET … LIMIT …)`),
        # the rows come back in the list's order, with its joins, annotations and prefetches.
        keys = object_list.prefetch_related(None).values("pk")[bottom:top]
        return list(object_list.filter(pk__in=keys))

    def page(self, number):
        if not self.capped:
            page = super().page(number)
            return CappedPage(
                page.object_list, page.number, self, has_next=page.number < self.num_pages
            )
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self._rows(bottom, bottom + self.per_page + 1)
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, has_next=len(rows) > self.per_page)


def _keys_first(object_list) -> bool:
    """Whether a page of `object_list` can be read as its keys first: a plain queryset (no
    union, DISTINCT or GROUP BY, which `pk IN (…)` would change) in a total order, so the
    page's rows are the same either way."""
    query = getattr(object_list, "query", None)
    return (
        query is not None
        and not query.combinator
        and not query.distinct
        and query.group_by is None
        and not query.is_sliced
        and _ends_in_pk(object_list)
    )


def _ends_in_pk(queryset) -> bool:
    query = queryset.query
    order = list(query.order_by) or (
        list(queryset.model._meta.ordering) if query.default_ordering else []
    )
    last = order[-1] if order else None
    return isinstance(last, str) and last.lstrip("-") in ("pk", queryset.model._meta.pk.name)


AFTER_PARAM = "after"
AFTER_INVALID = "after 参数无效：请使用上一页响应中 next 链接给出的值。"


class Keyset:
    """A list's order as columns of its own table, all one direction and ending in the
    primary key: a page after a given row is then an index range (`(a, b, id) > (…)`), at any
    depth, instead of an OFFSET that walks every row before it."""

    def __init__(self, queryset):
        self.model = queryset.model
        query = queryset.query
        order = list(query.order_by) or (
            list(self.model._meta.ordering) if query.default_ordering else []
        )
        self.fields = []
        directions = set()
        for item in order:
            if not isinstance(item, str) or query.extra_order_by:
                self.fields = []
                return
            directions.add(item.startswith("-"))
            name = item.lstrip("-")
            try:
                field = self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)
            except FieldDoesNotExist:  # an annotation or a related lookup
                self.fields = []
                return
            # NULL compares as unknown in a row comparison: nullable columns cannot take part.
            if not field.concrete or field.many_to_many or field.one_to_many or field.null:
                self.fields = []
                return
            self.fields.append(field)
        if len(directions) != 1 or not self.fields or self.fields[-1] != self.model._meta.pk:
            self.fields = []
        self.descending = directions == {True}

    def __bool__(self) -> bool:
        return bool(self.fields)

    def token(self, row) -> str:
        values = [field.value_to_string(row) for field in self.fields]
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    def after(self, queryset, token: str):
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(raw, list) or len(raw) != len(self.fields):
                raise ValueError
            values = [field.to_python(value) for field, value in zip(self.fields, raw, strict=True)]
        except (ValueError, TypeError, DjangoValidationError, binascii.Error):
            raise ValidationError({AFTER_PARAM: [AFTER_INVALID]}) from None
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in self.fields)
        marks = ", ".join(["%s"] * len(values))
        op = "<" if self.descending else ">"
        # Column names come from the model, the values are parameters: a row comparison,
        # which Django's lookups cannot write and PostgreSQL answers from the index.
        sql = f"({columns}) {op} ({marks})"
        condition = RawSQL(sql, values, output_field=BooleanField())  # noqa: S611
        return queryset.filter(condition)


class StandardPagination(PageNumberPagination):
    """Page numbers, with a count capped at COUNT_CAP (`count_capped` says when it is).

    Where the list's order allows it (`Keyset`), `next` also carries `after=<last row>`: a
    client that follows `next` gets every page as an index range, however deep; `?page=N`
    alone still works (an OFFSET)."""

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
        self.keyset = Keyset(queryset) if hasattr(queryset, "query") else None
        after = request.query_params.get(AFTER_PARAM)
        if after is not None:
            if not self.keyset:
                raise ValidationError({AFTER_PARAM: ["此列表的排序不支持 after 翻页。"]})
            rows = list(self.keyset.after(queryset, after)[: page_size + 1])
            try:
                number = max(2, int(request.query_params.get(self.page_query_param, 2)))
            except ValueError:
                number = 2
            self.page = CappedPage(
                rows[:page_size], number, paginator, has_next=len(rows) > page_size
            )
        else:
            page_number = self.get_page_number(request, paginator)
            try:
                self.page = paginator.page(page_number)
            except InvalidPage as exc:
                message = self.invalid_page_message.format(
                    page_number=page_number, message=str(exc)
                )
                raise NotFound(message) from exc
        if self.page.has_other_pages() and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

    def get_next_link(self):
        link = super().get_next_link()
        if link is None or not self.keyset or not self.page.object_list:
            return remove_query_param(link, AFTER_PARAM) if link else link
        return replace_query_param(link, AFTER_PARAM, self.keyset.token(self.page[-1]))

    def get_previous_link(self):
        link = super().get_previous_link()
        return remove_query_param(link, AFTER_PARAM) if link else link

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": AFTER_PARAM,
                "required": False,
                "in": "query",
                "description": "翻页游标：取上一页响应 next 链接中的值（从该行之后开始）。"
                " The cursor in the previous page's `next` link.",
                "schema": {"type": "string"},
            },
        ]

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
