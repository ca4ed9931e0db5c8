"""Pages of the historic records import: the shared import pages with this kind's flow."""

from __future__ import annotations

from django import forms

from core.imports.pages import ImportFlow, views, xlsx_file_field
from households.models import HouseholdImport, ImportKind
from subsidies import historic


class HistoricUploadForm(forms.Form):
    file = xlsx_file_field("历年改造记录（.xlsx）")


def _done(record: HouseholdImport) -> str:
    return (
        f"导入完成：新增历年改造记录 {record.created_count} 条，已有 {record.unchanged_count} 条，"
        f"跳过有误的 {record.skipped_count} 条。"
    )


FLOW = ImportFlow(
    spec=historic.HISTORIC,
    filter={"kind": ImportKind.HISTORIC},
    fields=lambda data: {"kind": ImportKind.HISTORIC},
    upload_url="subsidies:historic-import",
    detail_url="subsidies:historic-detail",
    upload_template="subsidies/historic_upload.html",
    detail_template="subsidies/historic_detail.html",
    form_class=HistoricUploadForm,
    done_message=_done,
    preview_rows=historic.PREVIEW_ROWS,
    preview_extra=("counts",),
    valid_count=lambda record: record.to_create + record.to_update + record.to_keep,
    cancel_message="已取消本次导入，未写入任何农户信息。",
)
VIEWS = views(FLOW)
