"""Pages for the 防返贫监测 list import: upload → preview (需核实 listed) → confirm or cancel.

The pages are the shared ones of `core/imports/pages.py`; this module says what is
particular to the monitoring list.
"""

from __future__ import annotations

from django import forms

from core.imports.pages import ImportFlow, UploadForm, views
from households import monitoring
from households.models import HouseholdImport, ImportKind


class MonitoringUploadForm(UploadForm):
    full_list = forms.BooleanField(
        label="这是本辖区完整的监测名单",
        required=False,
        help_text="勾选后，名册中已有监测户编号、但不在本名单中的农户登记为退出名单（保留历史记录，进行中的改造项目照常完成）。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "监测对象信息（.xlsx）"
        self.fields[
            "received_on"
        ].help_text = "名单中新增的农户须在收到名单后5个工作日内完成鉴定；不填为今天。"


def _done(record: HouseholdImport) -> str:
    return (
        f"导入完成：新增 {record.created_count} 户，更新 {record.updated_count} 户，"
        f"无变化 {record.unchanged_count} 户，跳过有误的 {record.skipped_count} 户。"
    )


FLOW = ImportFlow(
    spec=monitoring.MONITORING_LIST,
    filter={"kind": ImportKind.MONITORING},
    fields=lambda data: monitoring.monitoring_fields(
        received_on=data.get("received_on"), full_list=bool(data.get("full_list"))
    ),
    upload_url="households:monitoring-import",
    detail_url="households:monitoring-detail",
    upload_template="households/monitoring_upload.html",
    detail_template="households/monitoring_detail.html",
    form_class=MonitoringUploadForm,
    done_message=_done,
    preview_rows=monitoring.PREVIEW_ROWS,
    preview_extra=("verify", "skipped", "counts", "absent", "absent_count"),
    valid_count=lambda record: record.to_create + record.to_update + record.to_keep,
    cancel_message="已取消本次导入，未写入任何农户信息。",
)
VIEWS = views(FLOW)
