"""The national renovation record (农村危房改造信息系统), one row per household, for bulk entry.

Field order and labels follow EXCHANGE.md §1. ID numbers are masked unless the user's role
may see full numbers; then each household shown in full is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from accounts.models import Area, AreaLevel
from core import exports
from core.errors import DomainError
from households.models import Category, SensitiveAccessLog
from inspections.department_exports import NATIONAL_CATEGORY
from renovation.models import FUNDED, BuildMode, RenovationMethod, RenovationProject
from subsidies.models import LineStatus, PayoutLine

PURPOSE = "全国系统录入表导出"
LOG_BATCH = 500

# 重点对象类型: the 2021+ labels, and the older labels for legacy records (EXCHANGE.md §1).
CATEGORY_LABELS = {
    **NATIONAL_CATEGORY,
    Category.LEGACY_POOR: "建档立卡贫困户",
    Category.LEGACY_DIBAO: "低保户",
    Category.LEGACY_TEKUN: "农村分散供养特困人员",
    Category.LEGACY_DISABLED: "贫困残疾人家庭",
}
REASON_LABELS = {"C": "C级危房(局部危险)", "D": "D级危房(整栋危险)"}
OTHER_REASON = "其它"  # 无房户 and anything else
# Only the five labels of the national system: RenovationMethod's labels are exactly those.
METHOD_LABELS = dict(RenovationMethod.choices)
BUILD_MODE_LABELS = dict(BuildMode.choices)


@dataclass(frozen=True)
class RowContext:
    full: bool


def _date(value) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _area_names(p: RenovationProject) -> tuple[str, str, str]:
    village = p.household.village
    township = village.parent
    county = township.parent if township else None
    return (county.name if county else "", township.name if township else "", village.name)


def _record_number(p: RenovationProject) -> str:
    # County-prefixed, so records of several counties never collide in the provincial sheet.
    return f"{p.household.village_id[:6]}-{p.year}-{p.pk:06d}"


def _id_number(p: RenovationProject, ctx: RowContext) -> str:
    return p.household.id_number if ctx.full else p.household.id_number_masked


Accessor = Callable[[RenovationProject, RowContext], Any]

# THE column map: (header, accessor), in the national table's order. A county whose province
# uses a different template adjusts this list (order, labels, columns) and nothing else.
COLUMNS: list[tuple[str, Accessor]] = [
    ("档案编号", lambda p, ctx: _record_number(p)),
    ("列入年度计划", lambda p, ctx: p.year),
    ("县", lambda p, ctx: _area_names(p)[0]),
    ("乡镇", lambda p, ctx: _area_names(p)[1]),
    ("村", lambda p, ctx: _area_names(p)[2]),
    ("户主姓名", lambda p, ctx: p.household.head_name),
    ("身份证号", _id_number),
    ("家庭人口", lambda p, ctx: p.household.family_size),
    ("重点对象类型", lambda p, ctx: CATEGORY_LABELS.get(p.household.category, "")),
    ("改造原因", lambda p, ctx: REASON_LABELS.get(p.danger_level, OTHER_REASON)),
    ("改造方式", lambda p, ctx: METHOD_LABELS.get(p.method, "")),
    ("建设方式", lambda p, ctx: BUILD_MODE_LABELS.get(p.build_mode, "")),
    ("改造面积(平方米)", lambda p, ctx: p.built_area),
    ("开工日期", lambda p, ctx: _date(p.started_on)),
    ("竣工日期", lambda p, ctx: _date(p.completed_on)),
    ("验收日期", lambda p, ctx: _date(p.accepted_on)),
    ("补助金额(元)", lambda p, ctx: p.approved_amount),
    # What the finance bureau paid, and when (issue 15 point 9).
    ("拨付日期", lambda p, ctx: _date(p.paid_on)),
    ("拨付金额(元)", lambda p, ctx: p.paid_amount),
]
HEADER = [header for header, _accessor in COLUMNS]
WIDTHS = [20, 12, 10, 12, 12, 10, 22, 8, 20, 18, 18, 8, 14, 12, 12, 12, 12, 12, 12]


def national_queryset(user, year: int, township: Area | None = None):
    """Projects of `year` approved or later (列入年度计划), in the user's area."""

    paid = PayoutLine.objects.unscoped("of the listed projects").filter(
        project=OuterRef("pk"), status=LineStatus.PAID
    )
    qs = (
        RenovationProject.objects.visible_to(user)
        .filter(year=year, status__in=FUNDED)
        .select_related("household__village__parent__parent")
        .annotate(
            paid_on=Subquery(paid.order_by("batch__paid_on").values("batch__paid_on")[:1]),
            paid_amount=Subquery(paid.values("project").annotate(s=Sum("amount")).values("s")[:1]),
        )
        .order_by("household__village_id", "household__head_name", "id")
    )
    if township is not None:
        qs = qs.filter(household__township_code=township.prefix)
    if not user.may_see_full_numbers:
        qs = qs.defer("household__id_number", "household__bank_account")
    return qs


def _township(user, value) -> Area | None:
    if not value:
        return None
    township = Area.objects.visible_to(user).filter(pk=str(value), level=AreaLevel.TOWNSHIP).first()
    if township is None:
        raise DomainError("乡镇不存在或不在您的管辖范围内。")
    return township


def _year(value) -> int:
    try:
        year = int(value or timezone.localdate().year)
    except (TypeError, ValueError):
        raise DomainError("请填写正确的年度。") from None
    if not 2000 <= year <= 2100:
        raise DomainError("请填写正确的年度。")
    return year


@exports.register
class NationalRecordExporter(exports.Exporter):
    key = "national-record"
    label = "全国农村危房改造信息系统录入表"

    def clean_params(self, user, params: dict) -> dict:
        township = _township(user, params.get("township"))
        cleaned = {"year": _year(params.get("year"))}
        if township is not None:
            cleaned["township"] = township.pk
        return cleaned

    def run(self, user, params, progress):
        year = _year(params.get("year"))
        # Scoped again at run time: the user's area may have changed since the request.
        township = _township(user, params.get("township"))
        qs = national_queryset(user, year, township)
        total = qs.count() if progress else None
        ctx = RowContext(full=bool(user.may_see_full_numbers))

        def rows():
            logs: list[SensitiveAccessLog] = []
            for project in qs.iterator(chunk_size=500):
                if ctx.full:
                    logs.append(
                        SensitiveAccessLog(
                            user=user,
                            household_id=project.household_id,
                            field="id_number",
                            purpose=PURPOSE,
                        )
                    )
                    if len(logs) >= LOG_BATCH:
                        SensitiveAccessLog.objects.bulk_create(logs)
                        logs = []
                yield [accessor(project, ctx) for _header, accessor in COLUMNS]
            if logs:
                SensitiveAccessLog.objects.bulk_create(logs)

        content = exports.write_xlsx(
            "危房改造录入表", HEADER, rows(), total=total, progress=progress, widths=WIDTHS
        )
        suffix = f"_{township.name}" if township else ""
        filename = f"全国危房改造录入表_{year}{suffix}_{timezone.localdate():%Y%m%d}.xlsx"
        return exports.ExportResult(content, filename, exports.XLSX)
