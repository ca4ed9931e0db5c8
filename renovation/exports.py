"""The one-household archive as a background job: forms and photos take a while to render."""

from __future__ import annotations

from django.http import Http404

from core import exports
from core.errors import DomainError
from households.models import Household


@exports.register
class ArchiveExporter(exports.Exporter):
    key = "archive"
    label = "一户一档（PDF）"

    def clean_params(self, user, params: dict) -> dict:
        try:
            pk = int(params.get("household", ""))
        except ValueError as exc:
            raise DomainError("请指定农户。") from exc
        if not Household.objects.visible_to(user).filter(pk=pk).exists():
            raise Http404  # another area's household: not found, as everywhere
        return {"household": pk}

    def run(self, user, params, progress):
        from renovation.archive import build_archive_pdf

        # Scoped again at run time: the user's area may have changed since the request.
        household = Household.objects.visible_to(user).filter(pk=params["household"]).first()
        if household is None:
            raise DomainError("农户不存在或不在您的管辖范围内。")
        progress(20, "正在汇总档案材料…")
        content = build_archive_pdf(household, user)
        progress(95, "正在保存…")
        return exports.ExportResult(content, f"一户一档-{household.head_name}.pdf", exports.PDF)
