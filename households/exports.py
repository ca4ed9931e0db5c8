"""Household registry download (Excel): scoped to the user's area; numbers always masked."""

from __future__ import annotations

from django.utils import timezone

from core import exports
from households import selectors
from households.filters import HouseholdFilter
from households.models import CATEGORY_SHORT

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


@exports.register
class HouseholdListExporter(exports.Exporter):
    key = "households"
    label = "农户名册导出"

    def clean_params(self, user, params: dict) -> dict:
        allowed = {"q", "township", "village", "category", "priority"}
        return {k: v for k, v in params.items() if k in allowed and v}

    def run(self, user, params, progress):
        qs = exports.filtered(HouseholdFilter, selectors.household_list(user), user, params)
        total = qs.count()

        def rows():
            for h in qs.iterator(chunk_size=2000):
                yield [
                    h.village.parent.name if h.village.parent else "",
                    h.village.name,
                    h.head_name,
                    h.id_number_masked,
                    h.family_size,
                    CATEGORY_SHORT.get(h.category, h.category),
                    h.get_identified_by_display(),
                    h.identified_on,
                    "、".join(h.priority_marks),
                    h.phone,
                    h.address,
                    h.bank_account_masked,
                    h.bank_name,
                ]

        content = exports.write_xlsx(
            "农户名册",
            HEADER,
            rows(),
            total=total,
            progress=progress,
            widths=[12, 12, 10, 22, 8, 14, 10, 12, 16, 14, 24, 24, 14],
        )
        filename = f"农户名册_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, filename, exports.XLSX)
