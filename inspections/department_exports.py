"""Appraisal results back to the departments (民政, 乡村振兴) for comparison with their lists.

One row per household whose current appraisal is C, D or 无房 (DOMAIN: "results go back to
民政/乡村振兴/应急/自然资源 for comparison"). ID numbers are masked unless the user's role may
see full numbers; then each household's full number in the file is logged.
"""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core import exports
from households.models import CATEGORY_SHORT, Category, Household, SensitiveAccessLog
from inspections.models import LEDGER_LEVELS
from inspections.selectors import with_current_appraisal

PURPOSE = "部门比对导出"
LOG_BATCH = 500
# 重点对象类型 as the national system and the departments label it (EXCHANGE.md §1).
NATIONAL_CATEGORY = {
    Category.AT_RISK: "易返贫致贫户",
    Category.DIBAO: "农村低保户",
    Category.TEKUN: "农村分散供养特困人员",
    Category.HARDSHIP: "严重困难家庭",
    Category.DIBAO_EDGE: "农村低保边缘家庭",
    Category.OTHER_EX_POOR: "其他脱贫户",
}
LEVEL_LABELS = {"C": "C级", "D": "D级", "none": "无房"}
METHOD_LABELS = {"assessed": "评定", "third_party": "鉴定"}
HEADER = [
    "身份证号",
    "户主姓名",
    "乡镇",
    "村",
    "重点对象类型",
    "安全等级",
    "鉴定日期",
    "鉴定方式",
    "改造状态",
    "监测户编号",
]


def _renovation_status():
    """The newest renovation project's status, if the renovation app is installed."""
    try:
        from renovation.models import ProjectStatus, RenovationProject
    except ImportError:  # pragma: no cover - a deployment without the renovation app
        return None, {}
    newest = RenovationProject.objects.filter(household=OuterRef("pk")).order_by("-year", "-id")
    return Subquery(newest.values("status")[:1]), dict(ProjectStatus.choices)


def department_queryset(user):
    qs = with_current_appraisal(
        Household.objects.visible_to(user).select_related("village", "village__parent")
    ).filter(current_level__in=LEDGER_LEVELS)
    status, _labels = _renovation_status()
    if status is not None:
        qs = qs.annotate(renovation_status=status)
    deferred = ["bank_account"] if user.may_see_full_numbers else ["bank_account", "id_number"]
    return qs.defer(*deferred).order_by("village_id", "head_name", "id")


@exports.register
class DepartmentAppraisalExporter(exports.Exporter):
    key = "department-appraisals"
    label = "鉴定结果部门比对导出（C级、D级、无房）"

    def run(self, user, params, progress=None):
        qs = department_queryset(user)
        total = qs.count() if progress else None
        _status, status_labels = _renovation_status()
        full = user.may_see_full_numbers

        def rows():
            logs = []
            for h in qs.iterator(chunk_size=500):
                if full:
                    logs.append(
                        SensitiveAccessLog(
                            user=user, household_id=h.pk, field="id_number", purpose=PURPOSE
                        )
                    )
                    if len(logs) >= LOG_BATCH:
                        SensitiveAccessLog.objects.bulk_create(logs)
                        logs = []
                status = getattr(h, "renovation_status", None)
                yield [
                    h.id_number if full else h.id_number_masked,
                    h.head_name,
                    h.village.parent.name if h.village.parent else "",
                    h.village.name,
                    NATIONAL_CATEGORY.get(h.category) or CATEGORY_SHORT.get(h.category, ""),
                    LEVEL_LABELS.get(h.current_level, h.current_level),
                    f"{h.current_appraised_on:%Y-%m-%d}" if h.current_appraised_on else "",
                    METHOD_LABELS.get(h.current_method, h.current_method or ""),
                    status_labels.get(status, "") if status else "",
                    h.monitoring_household_no,
                ]
            if logs:
                SensitiveAccessLog.objects.bulk_create(logs)

        content = exports.write_xlsx(
            "鉴定结果",
            HEADER,
            rows(),
            total=total,
            progress=progress,
            widths=[22, 10, 12, 12, 20, 8, 12, 8, 16, 20],
        )
        filename = f"鉴定结果部门比对_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, filename, exports.XLSX)
