"""Pages for importing the departments' lists: upload → preview → confirm (or cancel).

The pages are the shared ones of `core/imports/pages.py`; this module says what is
particular to the department lists: the source department on the upload form, the service
functions of `households.importer`, the templates and the words of the result.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.views import View

from accounts.permissions import RoleRequiredMixin
from core.downloads import XLSX, download_response
from core.imports.pages import ImportFlow, UploadForm, views
from households import importer
from households.models import Department, HouseholdImport, ImportKind

IMPORT_ROLES = importer.IMPORT_ROLES


class ImportUploadForm(UploadForm):
    department = forms.ChoiceField(
        label="来源部门",
        required=False,
        choices=[("", "（不是部门名单）")] + list(Department.choices),
        help_text="部门名单中新增的农户须在收到名单后5个工作日内完成鉴定。",
    )
    field_order = ["file", "department", "received_on"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("department") and not cleaned.get("received_on") and not self.errors:
            cleaned["received_on"] = timezone.localdate()
        return cleaned


def _done(record: HouseholdImport) -> str:
    return (
        f"导入完成：新增 {record.created_count} 户，更新 {record.updated_count} 户，"
        f"无变化 {record.unchanged_count} 户，跳过 {record.skipped_count} 行。"
    )


FLOW = ImportFlow(
    spec=importer.DEPARTMENT_LIST,
    filter={"kind": ImportKind.REGISTRY},
    fields=lambda data: importer.list_fields(
        department=data.get("department"), received_on=data.get("received_on")
    ),
    upload_url="households:import",
    detail_url="households:import-detail",
    upload_template="households/import_upload.html",
    detail_template="households/import_detail.html",
    form_class=ImportUploadForm,
    done_message=_done,
    preview_rows=importer.PREVIEW_ROWS,
    valid_count=lambda record: record.to_create + record.to_update + record.to_keep,
    cancel_message="已取消本次导入，未写入任何农户信息。",
)
VIEWS = views(FLOW)


class ImportTemplateView(RoleRequiredMixin, View):
    """The blank list; it holds no personal data, so every role may download it."""

    def get(self, request):
        return download_response(
            importer.build_template(), filename="农户名单导入模板.xlsx", content_type=XLSX
        )
