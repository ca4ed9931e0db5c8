"""The pages of a stored household import, written once for every kind: upload → preview →
confirm (all, or only the valid rows) or cancel.

A kind (the departments' lists, the 防返贫监测 list) is one `ImportFlow`: its upload form, its
service functions, its templates and the words of its result. Its views are these classes
with the flow as an argument (`households/import_views.py`, `households/monitoring_views.py`);
the storage (encrypted), the size and zip checks and the scope re-check on preview and
confirm live in `households.importer` and `core.imports`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView

from accounts.permissions import RoleRequiredMixin
from core.errors import DomainError
from households.importer import IMPORT_ROLES, require_current_scope
from households.models import HouseholdImport

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    """The file and the day the list arrived (the 5-working-day appraisal deadline runs from
    it); a kind adds its own fields."""

    file = forms.FileField(
        label="名单文件（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_TYPE}),
        error_messages={"required": "请选择要上传的 Excel 文件。", "empty": "上传的文件是空的。"},
    )
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
    kind: str  # ImportKind
    #: URL names of the upload page and of an import's preview page.
    upload_url: str
    detail_url: str
    upload_template: str
    detail_template: str
    form_class: type[forms.Form]
    #: (user, the form's cleaned data) → the stored, previewed import.
    upload: Callable[..., HouseholdImport]
    #: (record, by, only_valid) → the applied import.
    apply: Callable[..., HouseholdImport]
    #: (record, by) → None
    cancel: Callable[..., object]
    #: The applied import → the success message.
    done_message: Callable[[HouseholdImport], str]
    preview_rows: int
    #: Preview keys shown besides errors and rows (e.g. 需核实, skipped persons).
    preview_extra: tuple[str, ...] = field(default=())


class _FlowMixin(RoleRequiredMixin):
    flow: ImportFlow | None = None
    write_roles = IMPORT_ROLES

    def requires_write(self) -> bool:
        return True

    def imports(self):
        return HouseholdImport.objects.visible_to(self.request.user).filter(kind=self.flow.kind)

    def get_import(self) -> HouseholdImport:
        # Someone else's import is none of your business: 404, not 403.
        return get_object_or_404(self.imports(), pk=self.kwargs["pk"])


class ImportUploadView(_FlowMixin, FormView):
    def get_template_names(self):
        return [self.flow.upload_template]

    def get_form_class(self):
        return self.flow.form_class

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "imports": self.imports().select_related("created_by")[:20],
            "max_rows": settings.ANJU_IMPORT_MAX_ROWS,
            "max_mb": settings.ANJU_IMPORT_MAX_BYTES / 1024 / 1024,
        }

    def form_valid(self, form):
        try:
            record = self.flow.upload(user=self.request.user, data=form.cleaned_data)
        except DomainError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect(record)


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
                require_current_scope(record, by=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
                return redirect(self.flow.upload_url)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preview = self.object.preview or {}
        context |= {
            "errors": preview.get("errors", []),
            "errors_truncated": preview.get("errors_truncated", False),
            "rows": preview.get("rows", []),
            "rows_limit": self.flow.preview_rows,
            "valid_count": self.object.to_create + self.object.to_update + self.object.to_keep,
        }
        for key in self.flow.preview_extra:
            context[key] = preview.get(key, {} if key == "counts" else [])
        return context


class ImportConfirmView(_FlowMixin, View):
    def post(self, request, pk):
        only_valid = request.POST.get("mode") == "valid_only"
        try:
            record = self.flow.apply(
                record=self.get_import(), by=request.user, only_valid=only_valid
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, self.flow.done_message(record))
        return redirect(self.flow.detail_url, pk=pk)


class ImportCancelView(_FlowMixin, View):
    def post(self, request, pk):
        try:
            self.flow.cancel(record=self.get_import(), by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(self.flow.detail_url, pk=pk)
        messages.success(request, "已取消本次导入，未写入任何农户信息。")
        return redirect(self.flow.upload_url)


def views(flow: ImportFlow) -> dict[str, Callable]:
    """The four views of a flow, for its urls."""
    return {
        "upload": ImportUploadView.as_view(flow=flow),
        "detail": ImportDetailView.as_view(flow=flow),
        "confirm": ImportConfirmView.as_view(flow=flow),
        "cancel": ImportCancelView.as_view(flow=flow),
    }
