"""Workbooks: real date cells, numbers as numbers, a frozen header and set column widths."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from core.exports import write_xlsx
from inspections.models import SafetyLevel
from tests.factories import HouseholdFactory
from tests.inspections.factories import AppraisalFactory, InspectionFactory


def test_shared_writer_types_cells_freezes_header_and_sets_widths():
    content = write_xlsx(
        "测试",
        ["日期", "金额（元）", "备注"],
        [[dt.date(2026, 3, 5), Decimal("200000.00"), "=1+1"]],
    )
    ws = load_workbook(io.BytesIO(content)).active
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[c].width >= 8 for c in "ABC")
    date, amount, note = ws[2]
    assert date.is_date and date.value.date() == dt.date(2026, 3, 5)
    assert date.number_format == "yyyy-mm-dd"
    assert amount.data_type == "n" and amount.value == 200000
    assert amount.number_format == "#,##0.00"
    assert note.data_type == "s" and note.value == "=1+1"


def test_ledger_has_date_cells_and_a_separate_inspection_status(client, county_reviewer, areas):
    checked = HouseholdFactory(village=areas["village"], head_name="已查户")
    AppraisalFactory(
        household=checked,
        level=SafetyLevel.D,
        created_by=county_reviewer,
        appraised_on=dt.date(2026, 1, 10),
    )
    InspectionFactory(household=checked, occupied=True, inspector=county_reviewer)
    unchecked = HouseholdFactory(village=areas["village"], head_name="未查户")
    AppraisalFactory(household=unchecked, level=SafetyLevel.C, created_by=county_reviewer)
    client.force_login(county_reviewer)
    response = client.get(reverse("inspections:ledger_export"))
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    rows = {r[3].value: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)}
    done, todo = rows["已查户"], rows["未查户"]
    assert done["鉴定日期"].is_date and done["鉴定日期"].value.date() == dt.date(2026, 1, 10)
    assert done["最近排查日期"].is_date
    assert done["排查状态"].value == "已排查"
    assert todo["最近排查日期"].value is None and todo["排查状态"].value == "未排查"
    assert done["家庭人口"].data_type == "n"


def _reference_workbook(header, rows) -> bytes:
    """The same rows through xlsxwriter's own cell API (what StreamingSheet writes itself)."""
    import xlsxwriter

    from core.xlsx import AMOUNT_FORMAT, DATE_FORMAT, DATETIME_FORMAT, FORMULA_TRIGGERS

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    ws = book.add_worksheet("测试")
    date = book.add_format({"num_format": DATE_FORMAT})
    datetime = book.add_format({"num_format": DATETIME_FORMAT})
    amount = book.add_format({"num_format": AMOUNT_FORMAT})
    quoted = book.add_format({"quote_prefix": True})
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value, quoted if value.startswith(FORMULA_TRIGGERS) else None)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            elif isinstance(value, Decimal):
                ws.write_number(r, c, float(value), amount)
            elif isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value.replace(tzinfo=None), datetime)
            else:
                ws.write_datetime(r, c, value, date)
    book.close()
    return buffer.getvalue()


def _cells(content: bytes):
    ws = load_workbook(io.BytesIO(content)).active
    return ws.dimensions, [
        [(c.coordinate, c.value, c.data_type, c.number_format, c.quotePrefix) for c in row]
        for row in ws.iter_rows()
    ]


def test_streaming_sheet_writes_the_cells_xlsxwriter_would():
    """StreamingSheet writes the rows' XML itself (the speed of the large exports): every
    kind of value reads back as from xlsxwriter's own API (types, formats, escapes)."""
    header = ["文本", "数"]
    rows = [
        ["张三", 3, 2.5, True, False, Decimal("12.30"), dt.date(2026, 3, 5), dt.date(1900, 1, 5)],
        [dt.datetime(2026, 3, 5, 14, 30, tzinfo=dt.UTC), "=1+1", "-3", "@x", "+1", "\t制表"],
        [" 前空格", "后空格 ", 'a&b<c>d"', "控制\x01字符", "_x0041_", "\r回车", "多行\n文本"],
        [None, "", None, 10**17, -0.0, "\ufffe", "长" * 40000, "x" * 40000],
        [],
        [None, None, "末行"],
    ]
    content = write_xlsx("测试", header, rows)
    assert _cells(content) == _cells(_reference_workbook(header, rows))
    ws = load_workbook(io.BytesIO(content)).active
    assert ws.freeze_panes == "A2"
    assert ws["B3"].value == "=1+1" and ws["B3"].data_type == "s" and ws["B3"].quotePrefix
