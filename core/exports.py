"""Background exports: one exporter class per download, in a small registry.

An exporter turns (user, params) into a file. It runs in a Celery task for the user who
asked, so the same area scoping applies as on the page. Long exports report progress.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# The content types an exporter names its result with (exports.XLSX) are core.downloads' own.
from core.downloads import PDF as PDF
from core.downloads import XLSX as XLSX
from core.xlsx import StreamingSheet

Progress = Callable[[int, str], None]


@dataclass
class ExportResult:
    content: bytes
    filename: str
    content_type: str


class Exporter:
    key: str = ""
    label: str = ""
    #: Roles that may run it (None: every role that can sign in).
    roles: frozenset | None = None

    def allowed(self, user) -> bool:
        return self.roles is None or user.role in self.roles or user.is_superuser

    def clean_params(self, user, params: dict) -> dict:
        """Validate the request's parameters (raise DomainError with a Chinese message)."""
        return {}

    def run(self, user, params: dict, progress: Progress) -> ExportResult:
        raise NotImplementedError


REGISTRY: dict[str, Exporter] = {}


def register(cls: type[Exporter]) -> type[Exporter]:
    if not cls.key or cls.key in REGISTRY:
        raise ValueError(f"exporter key {cls.key!r} missing or registered twice")
    REGISTRY[cls.key] = cls()
    return cls


def get(key: str) -> Exporter | None:
    return REGISTRY.get(key)


def filtered(filterset_class, queryset, user, params: dict):
    """`queryset` narrowed by a page's FilterSet with the export's `params`, exactly as the page
    would (area choices narrowed by the user); invalid filters give nothing, not everything."""
    from types import SimpleNamespace

    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update({k: v for k, v in params.items() if v})
    filterset = filterset_class(query, queryset=queryset, request=SimpleNamespace(user=user))
    return filterset.qs if filterset.is_valid() else queryset.none()


def write_xlsx(
    title: str,
    header: list[str],
    rows: Iterable[list],
    *,
    total: int | None = None,
    progress: Progress | None = None,
    widths: list[int] | None = None,
) -> bytes:
    """Stream rows into a workbook with memory flat in the row count; text never becomes a
    formula; dates are date cells and amounts numbers (see `core.xlsx.StreamingSheet`)."""
    buffer = io.BytesIO()
    with StreamingSheet(buffer, title, header, widths=widths) as sheet:
        for n, row in enumerate(rows, start=1):
            sheet.append(row)
            if progress and total and n % 500 == 0:
                progress(min(95, n * 95 // total), f"已写入 {n}/{total} 行")
    return buffer.getvalue()
