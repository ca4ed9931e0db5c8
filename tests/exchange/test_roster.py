"""The 一卡通 payout roster: EXCHANGE.md §2 layout, full numbers for county roles, logged."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core import exports
from core.errors import DomainError
from core.services import export_start
from households.models import SensitiveAccessLog
from subsidies.calculator import ensure_standards
from subsidies.roster import village_group
from tests.factories import UserFactory, area

pytestmark = pytest.mark.django_db

# Copied from EXCHANGE.md §2 on purpose (not imported): the bureau matches them exactly.
EXPECTED_HEADER = [
    "排序序号",
    "户主姓名*",
    "户主身份证号*",
    "收款人姓名*",
    "收款人身份证号*",
    "银行账号*",
    "开户银行*",
    "村(居)委会*",
    "村(居)民小组*",
    "享受人*",
    "享受人身份证号*",
    "联系电话",
    "务工地点",
    "乘坐交通工具",
    "补贴标准",
    "补贴金额*",
    "填报日期",
    "备注",
]
ID_COLUMNS = ["户主身份证号*", "收款人身份证号*", "享受人身份证号*"]


def run_roster(user, batch):
    exporter = exports.get("payout-roster")
    params = exporter.clean_params(user, {"batch": batch.pk})
    result = exporter.run(user, params, lambda *args: None)
    assert result.filename.endswith(".xlsx")
    return load_workbook(io.BytesIO(result.content)).active


def _col(name):
    return EXPECTED_HEADER.index(name) + 1


def test_exactly_the_18_headers_in_order(submitted_batch, county_reviewer):
    ws = run_roster(county_reviewer, submitted_batch)
    assert [c.value for c in ws[1]] == EXPECTED_HEADER


def test_every_required_cell_filled_ids_text_amounts_numeric(
    submitted_batch, three_households, county_reviewer
):
    ws = run_roster(county_reviewer, submitted_batch)
    assert ws.max_row == 4  # header + one row per line
    for row in range(2, ws.max_row + 1):
        for name in EXPECTED_HEADER:
            if name.endswith("*"):
                value = ws.cell(row=row, column=_col(name)).value
                assert value not in (None, ""), (row, name)
        for name in [*ID_COLUMNS, "银行账号*"]:
            cell = ws.cell(row=row, column=_col(name))
            assert cell.data_type == "s" and cell.number_format == "@", name
        for name in ID_COLUMNS:
            assert len(ws.cell(row=row, column=_col(name)).value) == 18
        amount = ws.cell(row=row, column=_col("补贴金额*"))
        assert amount.data_type == "n" and amount.number_format == "0.00"
        assert ws.cell(row=row, column=_col("填报日期")).value == "2026-12-10"
    amounts = sorted(ws.cell(row=r, column=_col("补贴金额*")).value for r in range(2, 5))
    assert amounts == [pytest.approx(12345.67), 20000, 50000]
    first = [c.value for c in ws[2]]
    head = three_households[0]
    assert first[0] == 1
    assert first[1] == first[3] == first[9] == "张三"  # 户主 = 收款人 = 享受人
    assert first[2] == first[4] == first[10] == head.id_number
    assert first[5] == head.bank_account
    assert first[7] == "东村" and first[8] == "一组"
    assert first[14].startswith("D级 3人")  # the project's calculation
    assert "农村危房改造补助资金" in first[17]


def test_group_from_address_or_a_visible_dash():
    assert village_group("一组12号") == "一组"
    assert village_group("东村3社18号") == "3社"
    assert village_group("十二村民小组") == "十二村民小组"
    assert village_group("") == "—"


def test_standard_line_when_the_project_has_no_calculation(submitted_batch, county_reviewer, areas):
    ensure_standards(areas["county"], 2026)
    for line in submitted_batch.lines.all():
        line.project.amount_explanation = ""
        line.project.save(update_fields=["amount_explanation"])
    ws = run_roster(county_reviewer, submitted_batch)
    text = ws.cell(row=2, column=_col("补贴标准")).value
    assert text.startswith("易返贫致贫户、低保户、特困人员、其他脱贫户（D级")


def test_full_numbers_logged_once_per_household(submitted_batch, county_approver):
    run_roster(county_approver, submitted_batch)
    logs = SensitiveAccessLog.objects.filter(user=county_approver, purpose="一卡通清单导出")
    assert logs.count() == 3
    assert len(set(logs.values_list("household_id", flat=True))) == 3


def test_formula_like_names_stay_text(submitted_batch, three_households, county_reviewer):
    head = three_households[1]
    head.head_name = '=HYPERLINK("x")'
    head.save()
    ws = run_roster(county_reviewer, submitted_batch)
    cells = [c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert len(cells) == 3 and all(c.data_type == "s" for c in cells)


def test_failed_lines_are_left_out_but_numbers_stay(paid_batch, county_reviewer, county_approver):
    from subsidies import services

    line = paid_batch.lines.order_by("id")[1]
    services.line_mark_failed(line=line, by=county_approver, reason="卡号已注销")
    ws = run_roster(county_reviewer, paid_batch)
    assert [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)] == [1, 3]


@pytest.mark.parametrize("fixture", ["township_user", "official", "village_clerk"])
def test_only_county_roles_may_export(request, submitted_batch, fixture):
    user = request.getfixturevalue(fixture)
    with pytest.raises(DomainError):
        export_start(kind="payout-roster", params={"batch": submitted_batch.pk}, by=user)
    assert not SensitiveAccessLog.objects.filter(user=user).exists()


def test_another_countys_batch_is_not_found(submitted_batch):
    county = area("141125000000", "邻县")
    other = UserFactory(username="other_county", role="county_reviewer", area=county)
    with pytest.raises(DomainError, match="不在您的管辖区划内"):
        export_start(kind="payout-roster", params={"batch": submitted_batch.pk}, by=other)


def test_batch_page_offers_the_roster_to_county_roles(client, submitted_batch, county_reviewer):
    client.force_login(county_reviewer)
    html = client.get(f"/subsidies/batches/{submitted_batch.pk}/").content.decode()
    assert "/exports/payout-roster/start/" in html
    # The result comes after the payment is confirmed.
    assert f"/subsidies/batches/{submitted_batch.pk}/roster-result/" not in html
