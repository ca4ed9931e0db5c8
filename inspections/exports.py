"""危房台账 export: registered with the shared exporter registry; ID numbers masked."""

from __future__ import annotations

from django.utils import timezone

from core import exports
from households.models import CATEGORY_SHORT
from inspections import selectors
from inspections.filters import LedgerFilter
from inspections.models import SafetyLevel

LEVEL_LABELS = {SafetyLevel.C: "C级", SafetyLevel.D: "D级", SafetyLevel.NO_HOUSE: "无房"}
HEADER = [
    "序号",
    "乡镇",
    "村",
    "户主姓名",
    "身份证号",
    "重点对象类型",
    "家庭人口",
    "安全等级",
    "鉴定日期",
    "最近排查日期",
    "排查状态",
    "是否住人",
    "紧急（D级住人）",
    "已采取措施",
    "鉴定超期",
    "住址",
    "曾改造销号日期",
]
FILTER_PARAMS = {"township", "village", "level", "category", "occupied", "overdue", "emergency"}


def ledger_row(n: int, h) -> list:
    measures = "；".join(
        " ".join(filter(None, [f"{m.taken_on:%Y-%m-%d}", m.get_measure_display(), m.stays_at]))
        for m in h.measures
    )
    occupied = {True: "是", False: "否", None: "未排查"}[h.last_occupied]
    return [
        n,
        h.village.parent.name,
        h.village.name,
        h.head_name,
        h.id_number_masked,
        CATEGORY_SHORT.get(h.category, h.category),
        h.family_size,
        LEVEL_LABELS.get(h.current_level, h.current_level),
        h.current_appraised_on,  # date cells (empty when none), sortable in Excel
        h.last_inspected_on,
        "已排查" if h.last_inspected_on else "未排查",
        occupied,
        "是" if h.emergency else "",
        measures,
        "是" if h.overdue else "",
        h.address,
        h.renovated_on,  # a renovated house appraised C/D again (issue 15)
    ]


def ledger_queryset(user, params):
    """The ledger as the page shows it, with the same filters (invalid filters: nothing)."""
    params = {k: v for k, v in params.items() if k in FILTER_PARAMS}
    return exports.filtered(LedgerFilter, selectors.ledger(user), user, params)


@exports.register
class LedgerExporter(exports.Exporter):
    key = "ledger"
    label = "危房台账导出"

    def clean_params(self, user, params: dict) -> dict:
        return {k: v for k, v in params.items() if k in FILTER_PARAMS and v}

    def run(self, user, params, progress=None):
        qs = ledger_queryset(user, params)
        total = qs.count() if progress else None
        rows = (ledger_row(n, h) for n, h in enumerate(qs.iterator(chunk_size=500), start=1))
        content = exports.write_xlsx(
            "危房台账",
            HEADER,
            rows,
            total=total,
            progress=progress,
            widths=[6, 12, 12, 10, 22, 14, 8, 8, 12, 12, 10, 8, 10, 30, 8, 24, 14],
        )
        filename = f"危房台账_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, filename, exports.XLSX)
