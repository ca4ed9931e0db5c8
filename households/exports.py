"""Household registry download (Excel): scoped to the user's area; numbers always masked."""

from __future__ import annotations

from django.utils import timezone

from core import exports
from households import selectors
from households.filters import HouseholdFilter
from households.models import CATEGORY_SHORT, PRIORITY_FIELDS, Department

DEPARTMENT_LABELS = dict(Department.choices)
PRIORITY_LABELS = list(PRIORITY_FIELDS.values())
ROW_FIELDS = (
    "village__parent__name",
    "village__name",
    "head_name",
    "id_number_masked",
    "family_size",
    "category",
    "identified_by",
    "identified_on",
    *PRIORITY_FIELDS,
    "phone",
    "address",
    "bank_account_masked",
    "bank_name",
)

HEADER = [
    "乡镇",
    "村",
    "户主姓名",
    "户主身份证号",
    "家庭人口",
    "重点对象类型",
    "认定部门",
    "认定日期",
    "优先标识",
    "联系电话",
    "住址",
    "一卡通账号",
    "开户银行",
]


CHUNK_ROWS = 2000  # rows fetched at a time from the server-side cursor
WIDTHS = [12, 12, 10, 22, 8, 14, 10, 12, 16, 14, 24, 24, 14]


def registry_rows(qs):
    """The registry's rows in one query, streamed: values, not instances (no model building,
    no decryption: the masks are stored columns), labels from dicts."""
    labels = CATEGORY_SHORT
    departments = DEPARTMENT_LABELS
    for row in qs.values_list(*ROW_FIELDS).iterator(chunk_size=CHUNK_ROWS):
        (township, village, name, masked, size, category, department, on) = row[:8]
        marks = "、".join(
            label for label, flag in zip(PRIORITY_LABELS, row[8:12], strict=True) if flag
        )
        yield [
            township or "",
            village,
            name,
            masked,
            size,
            labels.get(category, category),
            departments.get(department, department),
            on,
            marks,
            *row[12:],
        ]


def registry_queryset(user, params):
    """The registry as the page lists it, with the same filters (invalid filters: nothing)."""
    return exports.filtered(HouseholdFilter, selectors.household_list(user), user, params)


@exports.register
class HouseholdListExporter(exports.Exporter):
    key = "households"
    label = "农户名册导出"

    def clean_params(self, user, params: dict) -> dict:
        allowed = {"q", "township", "village", "category", "priority"}
        return {k: v for k, v in params.items() if k in allowed and v}

    def run(self, user, params, progress):
        qs = registry_queryset(user, params)
        total = qs.count()
        content = exports.write_xlsx(
            "农户名册", HEADER, registry_rows(qs), total=total, progress=progress, widths=WIDTHS
        )
        filename = f"农户名册_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, filename, exports.XLSX)
