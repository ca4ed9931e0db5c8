"""Importing a ledger workbook of document 004's layout: merged cells, preview, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core.errors import DomainError
from rectification import services
from rectification.exports import HEADERS, write_ledger
from rectification.models import DeadlineKind, ImportStatus, ProblemType, RectificationItem
from tests.rectification.factories import CampaignFactory, ItemFactory

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(content: bytes, name="整改台账.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


def _doc004_workbook(bad_deadline=None) -> bytes:
    """Like the table of document 004: a title, 类型/数量 merged, a wrapped '工作 落实 方面'."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "2022年度考核评估反馈问题整改台账"
    ws.merge_cells("A1:I1")
    ws.append(HEADERS)
    ws.append(
        [
            "1",
            "政策落实方面",
            2,
            "农村危房改造不及时。",
            "李小斌二楼房屋有裂缝。",
            "一是及时纳入改造。",
            "2023年6月20日",
            "各县（市、区）住房和城乡建设部门",
            None,
        ]
    )
    ws.append(
        [
            None,
            None,
            None,
            "D级危房仍住人。",
            "武朋昌仍在危房居住。",
            "劝离。",
            bad_deadline or "立行立改",
            "各县（市、区）住房和城乡建设部门",
            None,
        ]
    )
    ws.append(
        [
            "二",
            "工作 落实 方面",
            2,
            "档案资料填写不规范。",
            "验收表开工时间统一。",
            "规范档案。",
            dt.date(2023, 7, 31),
            "各县（市、区）住房和城乡建设部门",
            "重点",
        ]
    )
    ws.append(
        [
            None,
            None,
            None,
            "帮扶工作管理不规范。",
            "签到表代签。",
            "加强管理。",
            "2023年12月31日（长期坚持）",
            "卢氏县住房城乡建设局",
            None,
        ]
    )
    for col in "ABC":
        ws.merge_cells(f"{col}3:{col}4")
        ws.merge_cells(f"{col}5:{col}6")
    ws.append([])
    ws.append(["填报人：", None, None, None, "日期：", None, "单位（盖章）："])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_preview_then_confirm_writes_items(county_reviewer, areas):
    campaign = CampaignFactory(area=areas["county"], created_by=county_reviewer)
    imp = services.ledger_import_upload(
        by=county_reviewer,
        uploaded=_upload(_doc004_workbook()),
        source="national",
        campaign=campaign,
    )
    assert imp.row_count == 4 and imp.error_count == 0
    assert not RectificationItem.objects.exists()  # nothing written before confirm
    services.ledger_import_apply(ledger_import=imp, by=county_reviewer)
    items = list(RectificationItem.objects.order_by("id"))
    assert [i.problem_type for i in items] == [ProblemType.POLICY] * 2 + [ProblemType.WORK] * 2
    assert items[0].deadline == dt.date(2023, 6, 20)
    assert items[1].deadline_kind == DeadlineKind.IMMEDIATE
    assert items[2].deadline == dt.date(2023, 7, 31) and items[2].remarks == "重点"
    assert items[3].deadline_label == "2023年12月31日（长期坚持）"
    assert {i.campaign for i in items} == {campaign}
    imp.refresh_from_db()
    assert imp.status == ImportStatus.APPLIED
    with pytest.raises(DomainError, match="不能再次确认"):
        services.ledger_import_apply(ledger_import=imp, by=county_reviewer)


def test_errors_with_row_numbers_and_nothing_written(client, county_reviewer):
    client.force_login(county_reviewer)
    response = client.post(
        reverse("rectification:import"),
        {"file": _upload(_doc004_workbook(bad_deadline="6月20日")), "source": "provincial"},
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "第 4 行：整改时限“6月20日”缺少年份" in page
    assert "确认导入" not in page and "只导入无误" not in page  # a whole ledger, corrected
    assert "取消导入" in page
    imp_pk = int(response.url.rstrip("/").split("/")[-1])
    response = client.post(reverse("rectification:import_confirm", args=[imp_pk]), follow=True)
    assert "本次未导入任何问题" in response.content.decode()
    assert not RectificationItem.objects.exists()


def test_round_trip_of_exported_ledger(county_reviewer, areas):
    ItemFactory(
        area=areas["county"], created_by=county_reviewer, title="甲", deadline=dt.date(2026, 12, 1)
    )
    ItemFactory(
        area=areas["county"],
        created_by=county_reviewer,
        title="乙",
        problem_type=ProblemType.WORK,
        deadline_kind=DeadlineKind.IMMEDIATE,
        deadline=None,
    )
    content = write_ledger(RectificationItem.objects.order_by("problem_type", "id"), title="=台账")
    RectificationItem.objects.all().delete()
    imp = services.ledger_import_upload(
        by=county_reviewer, uploaded=_upload(content), source="self_check"
    )
    services.ledger_import_apply(ledger_import=imp, by=county_reviewer)
    got = {i.title: (i.problem_type, i.deadline_label) for i in RectificationItem.objects.all()}
    assert got == {"甲": ("policy", "2026年12月1日"), "乙": ("work", "立行立改")}


def test_not_a_ledger_refused(county_reviewer):
    wb = Workbook()
    wb.active.append(["姓名", "身份证号"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(DomainError, match="未找到整改台账的表头"):
        services.ledger_import_upload(
            by=county_reviewer, uploaded=_upload(buffer.getvalue()), source="national"
        )
    with pytest.raises(DomainError, match="不是有效的 Excel"):
        services.ledger_import_upload(
            by=county_reviewer, uploaded=_upload(b"hello"), source="national"
        )


def test_township_and_official_cannot_import(client, township_user, official):
    for user in (township_user, official):
        client.force_login(user)
        assert client.get(reverse("rectification:import")).status_code == 403


def _patched(content: bytes, *, merge: str | None = None, far_cell: bool = False) -> bytes:
    """The workbook with its sheet XML edited as an attacker would (openpyxl cannot write it)."""
    import re
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                if merge:
                    xml = re.sub(
                        r'<mergeCells count="(\d+)">',
                        lambda m: f'<mergeCells count="{int(m[1]) + 1}"><mergeCell ref="{merge}"/>',
                        xml,
                    )
                if far_cell:
                    xml = xml.replace(
                        "</sheetData>",
                        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c>'
                        "</row></sheetData>",
                    )
                data = xml.encode()
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"merge": "A10:I1048576"}, "合并单元格"),
        ({"merge": "A1:XFD1"}, "合并单元格"),
        ({"far_cell": True}, "超过整改台账导入的上限"),
    ],
    ids=["merge-all-rows", "merge-all-columns", "cell-at-last-row"],
)
def test_a_crafted_sheet_is_refused_quickly_and_small(edit, reason):
    """Like #14 point 1 for the department lists: openpyxl would build a cell object for every
    cell of a merged range (9 million here) and this reader would walk a million rows."""
    import time
    import tracemalloc

    from core.imports.files import ImportFileError
    from rectification.importer import parse_ledger

    data = _patched(_doc004_workbook(), **edit)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ImportFileError) as refused:
            parse_ledger(data)
        elapsed, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason in str(refused.value)
    assert elapsed < 2 and peak < 200 * 1024 * 1024
