"""The pages of an import, written once for every kind: upload → preview → confirm (all, or
only the valid rows) or cancel.

A kind's pages are one `ImportFlow`: its `ImportSpec` (`core.imports.pipeline`), its upload
form, its templates and the words of its result. Its views are these classes with the flow as
an argument (`households/import_views.py`, `households/monitoring_views.py`,
`subsidies/historic_views.py`, `rectification/import_views.py`, `subsidies/result_views.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView

from accounts.permissions import RoleRequiredMixin
from core.downloads import XLSX
from core.errors import DomainError
from core.imports import pipeline
from core.imports.models import ImportRecord


def xlsx_file_field(label: str) -> forms.FileField:
    """The Excel file (.xlsx) of an upload form, with the messages every import shows."""
    return forms.FileField(
        label=label,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}),
        error_messages={"required": "请选择要上传的 Excel 文件。", "empty": "上传的文件是空的。"},
    )


class UploadForm(forms.Form):
    """The file and the day the list arrived (the 5-working-day appraisal deadline runs from
    it); a kind adds its own fields."""

    file = xlsx_file_field("名单文件（.xlsx）")
    received_on = forms.DateField(
        label="收到名单日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请输入正确的日期。"},
    )

    def clean_received_on(self):
        value = self.cleaned_data.get("received_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError("收到名单日期不能晚于今天。")
        return value


@dataclass(frozen=True)
class ImportFlow:
    spec: pipeline.ImportSpec
    #: URL names of the upload page and of an import's preview page.
    upload_url: str
    detail_url: str
    upload_template: str
    detail_template: str
    form_class: type[forms.Form]
    #: The upload form's cleaned data → the record's own fields (besides the file).
    fields: Callable[[dict], dict]
    #: The applied import → the success message.
    done_message: Callable[[ImportRecord], str]
    preview_rows: int
    #: Preview keys shown besides errors and rows (e.g. 需核实, skipped persons).
    preview_extra: tuple[str, ...] = field(default=())
    #: Which records of the model are this flow's (e.g. a kind).
    filter: dict = field(default_factory=dict)
    #: The rows a confirm would write (shown on the button).
    valid_count: Callable[[ImportRecord], int] = lambda record: (
        record.row_count - record.error_count
    )
    cancel_message: str = "已取消本次导入，未写入任何数据。"
    #: Where a confirmed import goes (default: its preview page, with the result).
    done_url: Callable[[ImportRecord], str] | None = None
    #: The upload page an import goes back to (default: `upload_url`, without arguments).
    upload_link: Callable[[ImportRecord], str] | None = None

    def back(self, record: ImportRecord) -> str:
        return self.upload_link(record) if self.upload_link else reverse(self.upload_url)


class _FlowMixin(RoleRequiredMixin):
    flow: ImportFlow | None = None

    @property
    def write_roles(self):
        return self.flow.spec.roles

    def requires_write(self) -> bool:
        return True

    def imports(self):
        model = self.flow.spec.model
        return model.objects.visible_to(self.request.user).filter(**self.flow.filter)

    def get_import(self) -> ImportRecord:
        # Someone else's import is none of your business: 404, not 403.
        if not hasattr(self, "_record"):
            self._record = get_object_or_404(self.imports(), pk=self.kwargs["pk"])
        return self._record

    def form_kwargs(self) -> dict:
        return {}


class ImportUploadView(_FlowMixin, FormView):
    def get_template_names(self):
        return [self.flow.upload_template]

    def get_form_class(self):
        return self.flow.form_class

    def get_form_kwargs(self):
        return super().get_form_kwargs() | self.form_kwargs()

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "imports": self.imports().select_related("created_by")[:20],
            "max_rows": settings.ANJU_IMPORT_MAX_ROWS,
            "max_mb": settings.ANJU_IMPORT_MAX_BYTES / 1024 / 1024,
        }

    def record_fields(self, form) -> dict:
        return self.flow.fields(form.cleaned_data)

    def form_valid(self, form):
        try:
            record = pipeline.upload(
                self.flow.spec,
                by=self.request.user,
                uploaded=form.cleaned_data["file"],
                **self.record_fields(form),
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect(self.flow.detail_url, pk=record.pk)


class ImportDetailView(_FlowMixin, DetailView):
    context_object_name = "imp"

    def get_template_names(self):
        return [self.flow.detail_template]

    def get_object(self, queryset=None):
        return self.get_import()

    def get(self, request, *args, **kwargs):
        record = self.get_import()
        if record.is_pending:
            try:
                pipeline.require_current_scope(self.flow.spec, record, by=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
                return redirect(self.flow.back(record))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preview = self.object.preview or {}
        context |= {
            "errors": preview.get("errors", []),
            "errors_truncated": preview.get("errors_truncated", False),
            "rows": preview.get("rows", []),
            "rows_limit": self.flow.preview_rows,
            "valid_count": self.flow.valid_count(self.object),
            "partial": self.flow.spec.partial,
        }
        for key in self.flow.preview_extra:
            context[key] = preview.get(key, {} if key == "counts" else [])
        return context


class ImportConfirmView(_FlowMixin, View):
    def post(self, request, pk):
        only_valid = request.POST.get("mode") == "valid_only"
        try:
            record = pipeline.confirm(
                self.flow.spec, self.get_import(), by=request.user, only_valid=only_valid
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(self.flow.detail_url, pk=pk)
        messages.success(request, self.flow.done_message(record))
        if self.flow.done_url:
            return redirect(self.flow.done_url(record))
        return redirect(self.flow.detail_url, pk=pk)


class ImportCancelView(_FlowMixin, View):
    def post(self, request, pk):
        record = self.get_import()
        try:
            pipeline.cancel(self.flow.spec, record, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(self.flow.detail_url, pk=pk)
        messages.success(request, self.flow.cancel_message)
        return redirect(self.flow.back(record))


def views(flow: ImportFlow, **classes) -> dict[str, Callable]:
    """The four views of a flow, for its urls (`classes` replaces one, e.g. `upload=`)."""
    kinds = {
        "upload": ImportUploadView,
        "detail": ImportDetailView,
        "confirm": ImportConfirmView,
        "cancel": ImportCancelView,
    } | classes
    return {name: view.as_view(flow=flow) for name, view in kinds.items()}
