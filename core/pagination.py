from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # A page of an unordered queryset is whatever order the planner picks: two requests
        # may show a row twice or never. Every list gets a deterministic order; a viewset's
        # own ordering (or the ?ordering filter) is kept, with the primary key as tiebreak.
        if hasattr(queryset, "ordered") and not queryset.ordered:
            queryset = queryset.order_by("pk")
        return super().paginate_queryset(queryset, request, view)
