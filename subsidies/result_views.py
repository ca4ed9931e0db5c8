"""Pages of the finance bureau's result import (`subsidies.roster.PAYOUT_RESULT`): the shared
import pages (`core/imports/pages.py`); the upload page belongs to its batch."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from core.imports.pages import (
    ImportDetailView,
    ImportFlow,
    ImportUploadView,
    views,
    xlsx_file_field,
)
from subsidies import roster
from subsidies.models import PayoutResultImport
from subsidies.views import BatchMixin


class ResultUploadForm(forms.Form):
    file = xlsx_file_field("财政返回的支付结果文件（.xlsx）")


class ResultUploadView(BatchMixin, ImportUploadView):
    """Upload the bureau's result file for the batch of the URL (another area's: 404)."""

    def imports(self):
        return super().imports().filter(batch=self.batch)

    def record_fields(self, form) -> dict:
        return {"batch": self.batch}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"batch": self.batch}


class ResultDetailView(ImportDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.object
        context |= {
            "batch": record.batch,
            "stale": record.is_pending and record.batch.version != record.batch_version,
        }
        return context


def _done(record: PayoutResultImport) -> str:
    return f"已登记支付结果：已拨付 {record.paid_count} 条，拨付失败 {record.failed_count} 条。"


FLOW = ImportFlow(
    spec=roster.PAYOUT_RESULT,
    upload_url="subsidies:roster_result",
    detail_url="subsidies:roster_result_detail",
    upload_template="subsidies/roster_result.html",
    detail_template="subsidies/roster_result_detail.html",
    form_class=ResultUploadForm,
    fields=lambda data: {},
    done_message=_done,
    preview_rows=10_000,
    cancel_message="已取消导入，未做任何修改。",
    done_url=lambda record: record.batch.get_absolute_url(),
    upload_link=lambda record: reverse("subsidies:roster_result", args=[record.batch_id]),
)
VIEWS = views(FLOW, upload=ResultUploadView, detail=ResultDetailView)
