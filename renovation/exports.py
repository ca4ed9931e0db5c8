"""The one-household archive as a background job: forms and photos take a while to render."""

from __future__ import annotations

from django.http import Http404

from core import exports
from core.errors import DomainError
from households.models import CATEGORY_SHORT, Household
from renovation.archive import build_archive_pdf
from renovation.filters import ProjectFilter
from renovation.models import RenovationProject


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
        # Scoped again at run time: the user's area may have changed since the request.
        household = Household.objects.visible_to(user).filter(pk=params["household"]).first()
        if household is None:
            raise DomainError("农户不存在或不在您的管辖范围内。")
        progress(20, "正在汇总档案材料…")
        content = build_archive_pdf(household, user)
        progress(95, "正在保存…")
        return exports.ExportResult(content, f"一户一档-{household.head_name}.pdf", exports.PDF)


PROJECT_HEADER = [
    "序号",
    "年度",
    "乡镇",
    "村",
    "户主姓名",
    "户主身份证号",
    "重点对象类型",
    "家庭人口",
    "危房等级",
    "改造方式",
    "状态",
    "申请日期",
    "批准日期",
    "补助金额（元）",
    "开工日期",
    "竣工日期",
    "验收日期",
    "建筑面积（㎡）",
    "旧房拆除",
]
PROJECT_WIDTHS = [6, 6, 12, 12, 10, 22, 14, 8, 8, 16, 18, 12, 12, 14, 12, 12, 12, 12, 20]


def _demolition_text(project) -> str:
    demolition = getattr(project, "demolition", None)
    if demolition is not None:
        return f"已拆除（{demolition.demolished_on:%Y-%m-%d}）"
    if project.demolition_not_applicable_reason:
        return "无需拆除"
    return ""


@exports.register
class ProjectListExporter(exports.Exporter):
    """The project list as on the page, with its filters: the annual plan (年度改造计划) is
    this list for one year with the approved statuses. ID numbers are always masked."""

    key = "projects"
    label = "改造项目清单导出"

    def clean_params(self, user, params: dict) -> dict:
        allowed = set(ProjectFilter.base_filters)
        return {k: v for k, v in params.items() if k in allowed and v}

    def run(self, user, params, progress):
        from django.utils import timezone

        base = (
            RenovationProject.objects.visible_to(user)
            .select_related("household", "household__village__parent", "demolition")
            .order_by("year", "household__village_id", "household__head_name", "pk")
        )
        qs = exports.filtered(ProjectFilter, base, user, params)
        total = qs.count()

        def rows():
            for n, p in enumerate(qs.iterator(chunk_size=1000), start=1):
                h = p.household
                yield [
                    n,
                    p.year,
                    h.village.parent.name if h.village.parent else "",
                    h.village.name,
                    h.head_name,
                    h.id_number_masked,
                    CATEGORY_SHORT.get(h.category, h.category),
                    h.family_size,
                    p.get_danger_level_display(),
                    p.get_method_display(),
                    p.get_status_display(),
                    p.applied_on,
                    p.approved_on,
                    p.approved_amount,
                    p.started_on,
                    p.completed_on,
                    p.accepted_on,
                    p.built_area,
                    _demolition_text(p),
                ]

        content = exports.write_xlsx(
            "改造项目清单",
            PROJECT_HEADER,
            rows(),
            total=total,
            progress=progress,
            widths=PROJECT_WIDTHS,
        )
        return exports.ExportResult(
            content, f"改造项目清单_{timezone.localdate():%Y%m%d}.xlsx", exports.XLSX
        )
