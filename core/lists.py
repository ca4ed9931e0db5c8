"""List pages: a filterset over the user's rows, a page of them, and links that keep the filters.

Every list page is a `ListView` with `FilteredListMixin`: it names its `filterset_class` and
`base_queryset()` (the user's rows, already scoped); the context has `filter` (the filterset,
for the form) and `query_string` (the filters without `page`, for the page links). A page over
a whole county also sets `paginator_class = core.pagination.CappedPaginator`.
"""

from __future__ import annotations

from django.db.models import QuerySet


def query_string(request) -> str:
    """The request's query without `page`: what the page links add their page number to."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


class FilteredListMixin:
    """For a ListView: `filterset_class` over `base_queryset()`, 50 rows a page."""

    paginate_by = 50
    filterset_class = None  # a django-filter FilterSet (None: the page has no filters)

    def base_queryset(self) -> QuerySet:  # pragma: no cover - each view defines it
        raise NotImplementedError

    def get_queryset(self):
        if self.filterset_class is None:
            return self.base_queryset()
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=self.base_queryset(), request=self.request
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.filterset_class is not None:
            context["filter"] = self.filterset
        context["query_string"] = query_string(self.request)
        return context
