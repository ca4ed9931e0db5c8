"""Pages of the ledger import (整改台账导入): the shared import pages (`core/imports/pages.py`)
with this kind's flow."""

from __future__ import annotations

from django.urls import reverse

from core.imports.pages import ImportFlow, ImportUploadView, views
from rectification.forms import ImportUploadForm
from rectification.importer import MAX_ITEMS
from rectification.models import LedgerImport
from rectification.services.ledger_import import LEDGER


class LedgerUploadView(ImportUploadView):
    def form_kwargs(self) -> dict:
        return {"user": self.request.user}


def _done(record: LedgerImport) -> str:
    return f"已导入 {record.row_count} 条整改问题。"


FLOW = ImportFlow(
    spec=LEDGER,
    upload_url="rectification:import",
    detail_url="rectification:import_detail",
    upload_template="rectification/import_upload.html",
    detail_template="rectification/import_detail.html",
    form_class=ImportUploadForm,
    fields=lambda data: {"source": data["source"], "campaign": data.get("campaign")},
    done_message=_done,
    preview_rows=MAX_ITEMS,
    cancel_message="已取消本次导入，未写入任何问题。",
    done_url=lambda record: reverse("rectification:item_list"),
)
VIEWS = views(FLOW, upload=LedgerUploadView)
