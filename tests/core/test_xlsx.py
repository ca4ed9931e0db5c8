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
