"""Printed documents: notification letters (函告书) and the village publicity notice.

Public documents carry no full ID or account number: the notice has none at all, the letter
only the masked ID that the household recognises.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import Area
from core.errors import DomainError
from core.pdf import render_pdf
from core.xlsx import freeze_header, safe_row
from renovation import selectors, services
from renovation.models import BUILT_METHODS, ENDED, PATH, ProjectStatus, RenovationProject
from subsidies.calculator import calculate

S = ProjectStatus
_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _section(n: int) -> str:
    """0 < n < 10000 in capital digits, with 零 for inner gaps (305 → 叁佰零伍)."""
    text, zero = "", False
    for base, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = n // base % 10
        if digit:
            if zero and text:
                text += "零"
            text += _DIGITS[digit] + unit
            zero = False
        else:
            zero = True
    return text


def rmb_upper(amount: Decimal) -> str:
    """50000 → 人民币伍万元整 (the form used on letters and vouchers)."""
    cents_total = int(Decimal(amount).quantize(Decimal("0.01")) * 100)
    yuan_part, cents = divmod(cents_total, 100)
    parts: list[str] = []
    started = need_zero = False
    for value, unit in (
        (yuan_part // 10**8, "亿"),
        (yuan_part // 10**4 % 10**4, "万"),
        (yuan_part % 10**4, ""),
    ):
        if value == 0:
            need_zero = started
            continue
        if started and (need_zero or value < 1000):
            parts.append("零")
        parts.append(_section(value) + unit)
        started, need_zero = True, False
    text = "".join(parts) + "元" if parts else ""
    jiao, fen = divmod(cents, 10)
    if not jiao and not fen:
        return f"人民币{text or '零元'}整"
    tail = (_DIGITS[jiao] + "角") if jiao else ("零" if text else "")
    tail += (_DIGITS[fen] + "分") if fen else ""
    return f"人民币{text}{tail}"


def yuan(amount: Decimal | None) -> str:
    return "" if amount is None else f"{Decimal(amount):,.2f}"


# --- notification letter ---------------------------------------------------------------

DUTIES = [
    "按照批准的改造方式和面积标准施工，不得擅自扩大面积或改变改造方式；单纯的粉刷、装饰不属于危房改造。",
    "选用经培训合格的农村建筑工匠或有资质的施工企业，执行抗震设防等基本安全要求，使用合格建材。",
    "施工期间做好安全防护，配合乡镇、村开展质量安全检查，发现的问题及时整改并接受复查。",
    "竣工后及时申请验收，基本安全评定合格后方可入住；补助资金在验收合格后拨付到一卡通账户。",
]
DEMOLITION_DUTY = "建新必须拆旧（一户一宅）：新房入住后须拆除原危房，不得保留作为仓储等用途。"
REPAIR_DUTY = "修缮加固须消除房屋的全部危险点，原房屋继续使用。"


def letter_context(project: RenovationProject) -> dict:
    if project.approved_amount is None or project.status in ENDED:
        raise DomainError("只有已批准的项目可以生成函告书。")
    household = project.household
    due = project.completion_due or services.default_completion_due(project.year)
    duties = [*DUTIES, REPAIR_DUTY if project.method == "repair" else DEMOLITION_DUTY]
    return {
        "project": project,
        "household": household,
        "village": household.village,
        "township": household.village.parent,
        "method": project.get_method_display(),
        "due": due,
        "amount": yuan(project.approved_amount),
        "amount_upper": rmb_upper(project.approved_amount),
        "duties": duties,
        "issued_on": project.notified_on or timezone.localdate(),
    }


def letters_pdf(projects: Sequence[RenovationProject]) -> bytes:
    letters = [letter_context(p) for p in projects]
    return render_pdf("renovation/pdf/letters.html", {"letters": letters})


# --- village publicity notice ----------------------------------------------------------

NOTICE_HEADERS = [
    "序号",
    "户主姓名",
    "家庭人口",
    "类别",
    "危房等级",
    "评议结果",
    "村",
    "补助金额（元）",
    "改造方式",
    "面积（㎡）",
    "村级公示期",
]
# Statuses that appear on the village notice: reviewed, not ended.
NOTICE_STATUSES = list(PATH[PATH.index(S.JOINT_REVIEWED) :])


def _expected_amount(project: RenovationProject) -> Decimal | None:
    if project.approved_amount is not None:
        return project.approved_amount

    try:
        return calculate(
            county=services.county_of(project.household),
            year=project.year,
            category=project.household.category,
            family_size=project.household.family_size,
            level=project.danger_level,
        ).amount
    except DomainError:
        return None


def notice_rows(user, village: Area, year: int) -> list[list]:
    """The notice lines for one village and year, for the public: no numbers at all."""
    qs: QuerySet = (
        selectors.project_list(user)
        .filter(household__village=village, year=year, status__in=NOTICE_STATUSES)
        .prefetch_related("publicities")
        .order_by("household__head_name", "id")
    )
    rows = []
    for index, project in enumerate(qs, start=1):
        h = project.household
        rows.append(
            [
                index,
                h.head_name,
                h.family_size,
                h.category_short,
                project.get_danger_level_display(),
                "村级评议、乡镇初审、联合审核通过",
                village.name,
                yuan(_expected_amount(project)),
                project.get_method_display(),
                _area_text(project),
                _village_period(project),
            ]
        )
    return rows


def _area_text(project: RenovationProject) -> str:
    """Document 003: the notice shows the area (the township's approval for ④⑤)."""
    area = project.built_area or project.township_area or project.planned_area
    if area is None:
        return "保留原房屋" if project.method not in BUILT_METHODS else ""
    return f"{area:.2f}".rstrip("0").rstrip(".")


def _village_period(project: RenovationProject) -> str:
    village = next((p for p in project.publicities.all() if p.level == "village"), None)
    if village is None:
        return ""
    return f"{village.starts_on:%Y-%m-%d}至{village.ends_on:%Y-%m-%d}"


def notice_title(village: Area, year: int) -> str:
    township = village.parent.name if village.parent else ""
    return f"{township}{village.name}{year}年度农村低收入群体等重点对象危房改造公示"


def notice_xlsx(village: Area, year: int, rows: list[list]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("村级公示")
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["D"].width = 16
    ws.column_dimensions["F"].width = 30
    ws.column_dimensions["H"].width = 16
    freeze_header(ws, 2)  # title and header
    ws.append(safe_row([notice_title(village, year)], ws))
    ws.append(safe_row(NOTICE_HEADERS, ws))
    for row in rows:
        ws.append(safe_row(row, ws))
    ws.append([])
    ws.append(
        safe_row(
            [f"公示期内如有异议，请向村委会或乡镇反映。公示日期：{timezone.localdate():%Y-%m-%d}"],
            ws,
        )
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def notice_pdf(village: Area, year: int, rows: list[list]) -> bytes:
    return render_pdf(
        "renovation/pdf/notice.html",
        {
            "title": notice_title(village, year),
            "headers": NOTICE_HEADERS,
            "rows": rows,
            "village": village,
            "today": timezone.localdate(),
        },
    )
