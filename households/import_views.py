"""Pages for importing the departments' lists: upload → preview → confirm (or cancel)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView

from accounts.permissions import RoleRequiredMixin
from core.downloads import download_response
from core.errors import DomainError
from households import importer
from households.models import Department, HouseholdImport, ImportKind

IMPORT_ROLES = importer.IMPORT_ROLES
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="名单文件（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_TYPE}),
        error_messages={"required": "请选择要上传的 Excel 文件。", "empty": "上传的文件是空的。"},
    )
    department = forms.ChoiceField(
        label="来源部门",
        required=False,
        choices=[("", "（不是部门名单）")] + list(Department.choices),
        help_text="部门名单中新增的农户须在收到名单后5个工作日内完成鉴定。",
    )
    received_on = forms.DateField(
        label="收到名单日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请输入正确的日期。"},
    )

    def clean(self):
        cleaned = super().clean()
        received = cleaned.get("received_on")
        if cleaned.get("department") and not received:
            cleaned["received_on"] = timezone.localdate()
        elif received and received > timezone.localdate():
            self.add_error("received_on", "收到名单日期不能晚于今天。")
        return cleaned


class _ImportMixin(RoleRequiredMixin):
    write_roles = IMPORT_ROLES

    def requires_write(self) -> bool:
        return True

    def get_import(self) -> HouseholdImport:
        # Someone else's import is none of your business: 404, not 403.
        return get_object_or_404(
            HouseholdImport.objects.visible_to(self.request.user).filter(kind=ImportKind.REGISTRY),
            pk=self.kwargs["pk"],
        )


class ImportView(_ImportMixin, FormView):
    template_name = "households/import_upload.html"
    form_class = ImportUploadForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = HouseholdImport.objects.visible_to(self.request.user).select_related(
            "created_by"
        )[:20]
        context["max_rows"] = settings.ANJU_IMPORT_MAX_ROWS
        context["max_mb"] = settings.ANJU_IMPORT_MAX_BYTES / 1024 / 1024
        return context

    def form_valid(self, form):
        try:
            household_import = importer.import_upload(
                user=self.request.user,
                uploaded=form.cleaned_data["file"],
                department=form.cleaned_data.get("department") or "",
                received_on=form.cleaned_data.get("received_on"),
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect(household_import)


class ImportTemplateView(RoleRequiredMixin, View):
    """The blank list; it holds no personal data, so every role may download it."""

    def get(self, request):
        return download_response(
            importer.build_template(), filename="农户名单导入模板.xlsx", content_type=XLSX_TYPE
        )


class ImportDetailView(_ImportMixin, DetailView):
    template_name = "households/import_detail.html"
    context_object_name = "imp"

    def get_object(self, queryset=None):
        return self.get_import()

    def get(self, request, *args, **kwargs):
        household_import = self.get_import()
        if household_import.is_pending:
            try:
                importer.require_current_scope(household_import, by=request.user)
            except DomainError as exc:
                messages.error(request, str(exc))
                return redirect("households:import")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preview = self.object.preview or {}
        context["errors"] = preview.get("errors", [])
        context["errors_truncated"] = preview.get("errors_truncated", False)
        context["rows"] = preview.get("rows", [])
        context["rows_limit"] = importer.PREVIEW_ROWS
        context["valid_count"] = self.object.to_create + self.object.to_update + self.object.to_keep
        return context


class ImportConfirmView(_ImportMixin, View):
    def post(self, request, pk):
        household_import = self.get_import()
        only_valid = request.POST.get("mode") == "valid_only"
        try:
            household_import = importer.import_apply(
                household_import=household_import, by=request.user, only_valid=only_valid
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"导入完成：新增 {household_import.created_count} 户，"
                f"更新 {household_import.updated_count} 户，"
                f"无变化 {household_import.unchanged_count} 户，"
                f"跳过 {household_import.skipped_count} 行。",
            )
        return redirect("households:import-detail", pk=pk)


class ImportCancelView(_ImportMixin, View):
    def post(self, request, pk):
        try:
            importer.import_cancel(household_import=self.get_import(), by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("households:import-detail", pk=pk)
        messages.success(request, "已取消本次导入，未写入任何农户信息。")
        return redirect("households:import")
