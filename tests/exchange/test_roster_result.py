"""The finance bureau's result file: preview, then all lines marked paid or failed, or none."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from core.errors import DomainError
from subsidies import roster, services
from subsidies.models import LineStatus
from tests.exchange.test_roster import run_roster

pytestmark = pytest.mark.django_db

REASON = "卡号与户名不一致"


def result_file(user, batch, outcomes, *, drop=()):
    """The roster as the bureau sends it back: 支付状态 and 支付失败原因 appended per row.

    `outcomes` maps a row's 户主姓名 to (支付状态, 支付失败原因); `drop` names header cells
    to blank out (e.g. to match by 排序序号 only).
    """
    ws = run_roster(user, batch)
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    out = Workbook()
    sheet = out.active
    sheet.append(["一卡通发放结果"])  # a title row above the header, as bureaus do
    header = rows[0] + ["支付状态", "支付失败原因"]
    sheet.append([None if h in drop else h for h in header])
    for row in rows[1:]:
        status, reason = outcomes.get(row[1], ("已支付", None))
        sheet.append(row + [status, reason])
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def upload(client, batch, content, name="结果.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/subsidies/batches/{batch.pk}/roster-result/",
        {"file": SimpleUploadedFile(name, content)},
    )


def confirm(client, batch, html):
    """Press 确认登记 on the preview page `html` of an import for `batch`."""
    action = re.search(r'action="(/subsidies/roster-results/\d+/confirm/)"', html).group(1)
    return client.post(action)


def statuses(batch):
    return {
        line.project.household.head_name: (line.status, line.failure_reason)
        for line in batch.lines.select_related("project__household")
    }


def test_one_failed_line_is_marked_with_its_reason_the_others_paid(
    client, paid_batch, county_reviewer, county_approver
):
    content = result_file(county_reviewer, paid_batch, {"王五": ("已申请", REASON)})
    client.force_login(county_approver)
    response = upload(client, paid_batch, content)
    assert response.status_code == 302
    html = client.get(response.url).content.decode()
    assert f"支付失败：{REASON}" in html
    assert "登记为已拨付 <b>0</b> 条" in html and "登记为拨付失败 <b>1</b> 条" in html
    assert statuses(paid_batch)["王五"] == (LineStatus.PAID, "")  # preview writes nothing

    response = confirm(client, paid_batch, html)
    assert response.status_code == 302
    assert statuses(paid_batch) == {
        "张三": (LineStatus.PAID, ""),
        "王五": (LineStatus.FAILED, REASON),
        "赵六": (LineStatus.PAID, ""),
    }
    # The failed payment is work to do, on the batch page with its reason.
    page = client.get(f"/subsidies/batches/{paid_batch.pk}/").content.decode()
    assert f"拨付失败：{REASON}" in page


def test_preview_rows_say_found_or_not_and_the_outcome(paid_batch, county_reviewer):
    content = result_file(county_reviewer, paid_batch, {"赵六": ("已申请", None)})
    rows = roster.parse_result(paid_batch, content)
    by_name = {r.name: r for r in rows}
    assert by_name["张三"].line and by_name["张三"].action == roster.KEEP  # paid already
    assert by_name["赵六"].outcome == "pending" and by_name["赵六"].action == roster.KEEP
    assert all(not r.error for r in rows)
    assert "*" in by_name["张三"].id_masked  # the preview keeps masked numbers only


def test_a_row_that_matches_no_line_blocks_everything(
    client, paid_batch, county_reviewer, county_approver
):
    content = result_file(county_reviewer, paid_batch, {"王五": ("已申请", REASON)})
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    ws.cell(row=3, column=16).value = 99.99  # 张三's 补贴金额 no longer matches his line
    buffer = io.BytesIO()
    wb.save(buffer)
    client.force_login(county_approver)
    html = client.get(upload(client, paid_batch, buffer.getvalue()).url).content.decode()
    assert "未找到" in html and "本批次中没有身份证号和补贴金额都相符的拨付明细" in html
    assert 'id="roster-confirm"' not in html
    rows = roster.parse_result(paid_batch, buffer.getvalue())
    with pytest.raises(DomainError):
        roster.result_apply(
            batch=paid_batch, by=county_approver, rows=rows, version=paid_batch.version
        )
    assert {s for s, _ in statuses(paid_batch).values()} == {LineStatus.PAID}


def test_matched_by_sort_number_when_there_is_no_id_column(
    paid_batch, county_reviewer, county_approver
):
    content = result_file(
        county_reviewer,
        paid_batch,
        {"赵六": ("已申请", "卡号已注销")},
        drop=("户主身份证号*", "收款人身份证号*", "享受人身份证号*", "补贴金额*"),
    )
    rows = roster.parse_result(paid_batch, content)
    assert all(r.line for r in rows) and not any(r.error for r in rows)
    roster.result_apply(batch=paid_batch, by=county_approver, rows=rows, version=paid_batch.version)
    assert statuses(paid_batch)["赵六"] == (LineStatus.FAILED, "卡号已注销")
    assert statuses(paid_batch)["张三"] == (LineStatus.PAID, "")


def test_a_change_after_the_preview_refuses_the_confirm(
    client, paid_batch, county_reviewer, county_approver
):
    content = result_file(county_reviewer, paid_batch, {})
    client.force_login(county_approver)
    html = client.get(upload(client, paid_batch, content).url).content.decode()
    line = paid_batch.lines.order_by("id").first()
    services.line_mark_failed(line=line, by=county_approver, reason="卡已达限额")
    confirm(client, paid_batch, html)
    result = statuses(paid_batch)
    assert result["张三"] == (LineStatus.FAILED, "卡已达限额")
    assert result["王五"][0] == result["赵六"][0] == LineStatus.PAID


def test_paid_for_a_line_already_failed_is_an_error(paid_batch, county_reviewer, county_approver):
    stale = result_file(county_reviewer, paid_batch, {})  # exported before the failure
    line = paid_batch.lines.order_by("id").first()
    services.line_mark_failed(line=line, by=county_approver, reason="卡号已注销")
    rows = {r.name: r for r in roster.parse_result(paid_batch, stale)}
    assert rows["张三"].line == line.pk and "已登记为拨付失败（卡号已注销）" in rows["张三"].error
    assert rows["王五"].action == roster.KEEP and not rows["王五"].error


def test_importing_the_same_result_twice_changes_nothing_more(
    paid_batch, county_reviewer, county_approver
):
    content = result_file(county_reviewer, paid_batch, {"王五": ("已申请", REASON)})
    rows = roster.parse_result(paid_batch, content)
    roster.result_apply(batch=paid_batch, by=county_approver, rows=rows, version=paid_batch.version)
    paid_batch.refresh_from_db()
    again = roster.parse_result(paid_batch, content)
    assert [r.action for r in again] == [roster.KEEP] * 3 and not any(r.error for r in again)
    counts = roster.result_apply(
        batch=paid_batch, by=county_approver, rows=again, version=paid_batch.version
    )
    assert counts == {"paid": 0, "failed": 0}


def test_not_an_xlsx_is_refused(client, paid_batch, county_approver):
    client.force_login(county_approver)
    html = upload(client, paid_batch, b"%PDF-1.4 nope", "x.pdf").content.decode()
    assert "这是 PDF 文件" in html


def test_township_user_gets_404_and_official_403(client, paid_batch, township_user, official):
    url = f"/subsidies/batches/{paid_batch.pk}/roster-result/"
    client.force_login(township_user)
    assert client.get(url).status_code == 404
    client.force_login(official)
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403


def test_totals_row_skipped_and_number_ids_fall_back_to_the_sort_number(
    paid_batch, county_reviewer
):
    content = result_file(county_reviewer, paid_batch, {"王五": ("支付失败", None)})
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    ws.cell(row=3, column=3).value = float(ws.cell(row=3, column=3).value[:15])  # Excel's damage
    ws.append(["合计", None, None, None, None, None, None, None, None, None, None, None])
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = {r.name: r for r in roster.parse_result(paid_batch, buffer.getvalue())}
    assert len(rows) == 3
    assert rows["张三"].line and not rows["张三"].error  # matched by 排序序号 1
    assert rows["王五"].error == "支付失败但未填写支付失败原因"


def test_applying_a_result_costs_the_same_queries_and_one_batch_version_whatever_its_size(
    paid_batch, county_reviewer, county_approver, django_assert_max_num_queries
):
    from subsidies.models import PayoutBatch

    content = result_file(county_reviewer, paid_batch, {"王五": ("已申请", REASON)})
    rows = roster.parse_result(paid_batch, content)
    version = paid_batch.version
    # lock batch, lock lines, two bulk updates, batch version, refresh + audit context
    with django_assert_max_num_queries(10):
        counts = roster.result_apply(
            batch=paid_batch, by=county_approver, rows=rows, version=version
        )
    assert counts == {"paid": 0, "failed": 1}  # the payment already marked the others paid
    assert PayoutBatch.objects.get(pk=paid_batch.pk).version == version + 1
