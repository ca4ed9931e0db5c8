"""The ledger workbook read back as officials would open it, and printed through LibreOffice."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from rectification.exports import HEADERS, write_ledger
from rectification.models import DeadlineKind, ProblemType, RectificationItem
from tests.rectification.factories import CampaignFactory, ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_items(areas, county_reviewer):
    campaign = CampaignFactory(area=areas["county"], created_by=county_reviewer)
    make = lambda **kw: ItemFactory(  # noqa: E731
        area=areas["county"], created_by=county_reviewer, campaign=campaign, **kw
    )
    make(
        problem_type=ProblemType.POLICY, title="农村危房改造不及时。", deadline=dt.date(2023, 6, 20)
    )
    make(
        problem_type=ProblemType.POLICY,
        title="D级危房仍有人居住。",
        deadline_kind=DeadlineKind.IMMEDIATE,
        deadline=None,
        findings="三门峡市陕州区张湾乡西罐村监测户武朋昌，房屋经鉴定为D级危房，仍在危房居住。",
    )
    make(
        problem_type=ProblemType.WORK,
        title="村民住房灾后重建进度较慢。",
        deadline=None,
        deadline_kind=DeadlineKind.IMMEDIATE,
    )
    make(problem_type=ProblemType.WORK, title="档案资料填写不规范。", deadline=dt.date(2023, 7, 31))
    make(problem_type=ProblemType.WORK, title="帮扶工作管理不规范。", deadline=dt.date(2023, 7, 31))
    return campaign


def _workbook(campaign, title=None):
    items = RectificationItem.objects.filter(campaign=campaign).order_by("problem_type", "id")
    content = write_ledger(
        items, title=title or f"{campaign.name} 农村低收入群体住房安全问题整改台账"
    )
    return content, load_workbook(io.BytesIO(content)).active


def test_headers_title_and_merged_types(ledger_items):
    _, ws = _workbook(ledger_items)
    assert ws["A1"].value == "2022年度考核评估反馈问题整改 农村低收入群体住房安全问题整改台账"
    assert [c.value for c in ws[2]] == HEADERS
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:I1", "A3:A4", "B3:B4", "C3:C4", "A5:A7", "B5:B7", "C5:C7"} <= merged
    assert (ws["A3"].value, ws["B3"].value, ws["C3"].value) == ("一", "政策落实方面", 2)
    assert (ws["A5"].value, ws["B5"].value, ws["C5"].value) == ("二", "工作落实方面", 3)
    assert ws["D4"].value == "D级危房仍有人居住。"
    assert "武朋昌" in ws["E4"].value  # Chinese intact


def test_deadline_is_a_date_cell_or_immediate(ledger_items):
    _, ws = _workbook(ledger_items)
    assert ws["G3"].value == dt.datetime(2023, 6, 20)
    assert ws["G3"].is_date
    assert ws["G3"].number_format == 'yyyy"年"m"月"d"日"'
    assert ws["G4"].value == "立行立改"


def test_long_term_item_shows_last_stage(areas, county_reviewer):
    item = ItemFactory(
        area=areas["county"],
        created_by=county_reviewer,
        deadline_kind=DeadlineKind.LONG_TERM,
        deadline=None,
    )
    item.stages.create(goal="排查", due_on=dt.date(2026, 12, 31))
    item.stages.create(goal="拆除", due_on=dt.date(2027, 6, 30))
    content = write_ledger(RectificationItem.objects.prefetch_related("stages"), title="台账")
    ws = load_workbook(io.BytesIO(content)).active
    assert ws["G3"].value == "2027年6月30日（长期坚持）"


def test_print_setup_a4_landscape_with_repeated_header(ledger_items):
    _, ws = _workbook(ledger_items)
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == "$2:$2"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(ws.page_setup.fitToWidth) == 1
    assert ws["E3"].alignment.wrap_text is True


def test_form_line_after_table(ledger_items):
    _, ws = _workbook(ledger_items)
    texts = [c.value for row in ws.iter_rows(min_row=8) for c in row if c.value]
    assert texts == ["填报人：", "日期：", "单位（盖章）："]


def test_formula_like_text_written_as_text(areas, county_reviewer):
    ItemFactory(area=areas["county"], created_by=county_reviewer, title='=HYPERLINK("x")')
    content = write_ledger(RectificationItem.objects.all(), title="=1+1 台账")
    ws = load_workbook(io.BytesIO(content)).active
    assert ws["A1"].value == "=1+1 台账" and ws["A1"].data_type == "s"
    assert ws["D3"].value == '=HYPERLINK("x")' and ws["D3"].data_type == "s"


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_prints_landscape_pages_with_headers(ledger_items, tmp_path):
    if not _soffice():
        if os.environ.get("CI"):
            pytest.fail(
                "LibreOffice (soffice) is required in CI: apt-get install libreoffice-calc-nogui"
            )
        pytest.skip("LibreOffice (soffice) is not installed; CI runs this test")
    content, _ = _workbook(ledger_items)
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(content)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "ledger.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    width, height = (float(x) for x in size.split(":")[1].split("pts")[0].split(" x "))
    assert width > height  # landscape
    assert 830 < width < 850 and 585 < height < 600  # A4: 842 × 595 pt
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    compact = "".join(text.split())
    for header in HEADERS:
        assert header in compact
    assert "政策落实方面" in compact and "填报人" in compact


def test_rows_grow_with_wrapped_text(areas, county_reviewer):
    # Spreadsheet programs do not resize rows on opening: long findings must not be cut off.
    make = lambda **kw: ItemFactory(area=areas["county"], created_by=county_reviewer, **kw)  # noqa: E731
    make(findings="旧房未拆除。", responsible_unit="县住建局")
    make(
        findings="省第三方评估组发现，房屋经鉴定为D级危房，仍在危房居住。" * 6,
        responsible_unit="县住建局",
    )
    content = write_ledger(RectificationItem.objects.order_by("id"), title="台账")
    ws = load_workbook(io.BytesIO(content)).active
    short, long_ = ws.row_dimensions[3].height, ws.row_dimensions[4].height
    assert short <= 2 * 13.5 + 4  # the title needs two lines in its column
    assert long_ >= 6 * 13.5  # about 170 characters in a 42-wide column: six lines or more
