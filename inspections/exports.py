"""危房台账 export: registered with the shared exporter registry; ID numbers masked."""

from __future__ import annotations

from django.utils import timezone

from core import exports
from households.models import CATEGORY_SHORT
from inspections import selectors
from inspections.filters import LedgerFilter
from inspections.models import EmergencyMeasure, MeasureKind, SafetyLevel

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


CHUNK_ROWS = 2000  # rows fetched at a time from the server-side cursor
MEASURE_LABELS = dict(MeasureKind.choices)
OCCUPIED_LABELS = {True: "是", False: "否", None: "未排查"}
#: The columns of the ledger, read as values (no model instances, no decryption).
ROW_FIELDS = (
    "id",
    "village__parent__name",
    "village__name",
    "head_name",
    "id_number_masked",
    "category",
    "family_size",
    "current_level",
    "current_appraised_on",
    "last_inspected_on",
    "last_occupied",
    "emergency",
    "overdue",
    "address",
    "renovated_on",
)


def measures_by_household(qs) -> dict[int, str]:
    """The emergency measures of every household of `qs`, in one query, as the ledger
    writes them (newest first, "date measure place" joined by "；")."""
    measures: dict[int, list[str]] = {}
    rows = (
        EmergencyMeasure.objects.unscoped("households of a scoped ledger queryset")
        .filter(household__in=qs.order_by().values("pk"))
        .order_by("household_id", "-taken_on", "-id")
        .values_list("household_id", "taken_on", "measure", "stays_at")
    )
    for household_id, taken_on, measure, stays_at in rows:
        text = " ".join(
            filter(None, [f"{taken_on:%Y-%m-%d}", MEASURE_LABELS.get(measure, measure), stays_at])
        )
        measures.setdefault(household_id, []).append(text)
    return {pk: "；".join(texts) for pk, texts in measures.items()}


def ledger_rows(qs):
    """The ledger's rows in a constant number of queries, whatever their number: the rows
    (one query, streamed) and the measures (one query)."""
    measures = measures_by_household(qs)
    rows = qs.prefetch_related(None).values_list(*ROW_FIELDS)
    for n, row in enumerate(rows.iterator(chunk_size=CHUNK_ROWS), start=1):
        (pk, township, village, name, masked, category, size, level, appraised_on) = row[:9]
        (inspected_on, occupied, emergency, overdue, address, renovated_on) = row[9:]
        yield [
            n,
            township,
            village,
            name,
            masked,
            CATEGORY_SHORT.get(category, category),
            size,
            LEVEL_LABELS.get(level, level),
            appraised_on,  # date cells (empty when none), sortable in Excel
            inspected_on,
            "已排查" if inspected_on else "未排查",
            OCCUPIED_LABELS[occupied],
            "是" if emergency else "",
            measures.get(pk, ""),
            "是" if overdue else "",
            address,
            renovated_on,  # a renovated house appraised C/D again (issue 15)
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
        content = exports.write_xlsx(
            "危房台账",
            HEADER,
            ledger_rows(qs),
            total=total,
            progress=progress,
            widths=[6, 12, 12, 10, 22, 14, 8, 8, 12, 12, 10, 8, 10, 30, 8, 24, 14],
        )
        filename = f"危房台账_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, filename, exports.XLSX)
