"""Pages for the 防返贫监测 list import: upload → preview (需核实 listed) → confirm or cancel."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView

from accounts.permissions import RoleRequiredMixin
from core.errors import DomainError
from households import monitoring
from households.import_views import IMPORT_ROLES, XLSX_TYPE
from households.importer import require_current_scope
from households.models import HouseholdImport, ImportKind


class MonitoringUploadForm(forms.Form):
    file = forms.FileField(
        label="监测对象信息（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_TYPE}),
        error_messages={"required": "请选择要上传的 Excel 文件。", "empty": "上传的文件是空的。"},
    )
    received_on = forms.DateField(
        label="收到名单日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="名单中新增的农户须在收到名单后5个工作日内完成鉴定；不填为今天。",
        error_messages={"invalid": "请输入正确的日期。"},
    )

    def clean_received_on(self):
        value = self.cleaned_data.get("received_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError("收到名单日期不能晚于今天。")
        return value


class _MonitoringMixin(RoleRequiredMixin):
    write_roles = IMPORT_ROLES

    def requires_write(self) -> bool:
        return True

    def get_import(self) -> HouseholdImport:
        # Someone else's import is none of your business: 404, not 403.
        return get_object_or_404(
            HouseholdImport.objects.visible_to(self.request.user).filter(
                kind=ImportKind.MONITORING
            ),
            pk=self.kwargs["pk"],
        )


class MonitoringImportView(_MonitoringMixin, FormView):
    template_name = "households/monitoring_upload.html"
    form_class = MonitoringUploadForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = (
            HouseholdImport.objects.visible_to(self.request.user)
            .filter(kind=ImportKind.MONITORING)
            .select_related("created_by")[:20]
        )
        context["max_rows"] = settings.ANJU_IMPORT_MAX_ROWS
        context["max_mb"] = settings.ANJU_IMPORT_MAX_BYTES / 1024 / 1024
        return context

    def form_valid(self, form):
        try:
            record = monitoring.monitoring_upload(
                user=self.request.user,
                uploaded=form.cleaned_data["file"],
                received_on=form.cleaned_data.get("received_on"),
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect(record)


class MonitoringDetailView(_MonitoringMixin, DetailView):
    template_name = "households/monitoring_detail.html"
    context_object_name = "imp"

    def get_object(self, queryset=None):
        return self.get_import()

    def get(self, request, *args, **kwargs):
        record = self.get_import()
        if record.is_pending:
            try:
                require_current_scope(record, by=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
                return redirect("households:monitoring-import")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preview = self.object.preview or {}
        context["errors"] = preview.get("errors", [])
        context["errors_truncated"] = preview.get("errors_truncated", False)
        context["rows"] = preview.get("rows", [])
        context["verify"] = preview.get("verify", [])
        context["skipped"] = preview.get("skipped", [])
        context["counts"] = preview.get("counts", {})
        context["rows_limit"] = monitoring.PREVIEW_ROWS
        context["valid_count"] = self.object.to_create + self.object.to_update + self.object.to_keep
        return context


class MonitoringConfirmView(_MonitoringMixin, View):
    def post(self, request, pk):
        record = self.get_import()
        only_valid = request.POST.get("mode") == "valid_only"
        try:
            record = monitoring.monitoring_apply(
                record=record, by=request.user, only_valid=only_valid
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"导入完成：新增 {record.created_count} 户，更新 {record.updated_count} 户，"
                f"无变化 {record.unchanged_count} 户，跳过有误的 {record.skipped_count} 户。",
            )
        return redirect("households:monitoring-detail", pk=pk)


class MonitoringCancelView(_MonitoringMixin, View):
    def post(self, request, pk):
        try:
            monitoring.monitoring_cancel(record=self.get_import(), by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("households:monitoring-detail", pk=pk)
        messages.success(request, "已取消本次导入，未写入任何农户信息。")
        return redirect("households:monitoring-import")
