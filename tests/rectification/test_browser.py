"""An official signs in, opens the rectification ledger and downloads it as Excel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from rectification.exports import HEADERS
from tests.conftest import PASSWORD
from tests.rectification.factories import ItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_official_downloads_ledger(live_server, page, official, county_reviewer, areas):
    ItemFactory(area=areas["village"], created_by=county_reviewer, title="D级危房仍有人居住")
    ItemFactory(
        area=areas["county"],
        created_by=county_reviewer,
        title="档案资料填写不规范",
        problem_type="work",
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", official.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav >> text=整改台账")
    assert page.locator("#item-table >> text=D级危房仍有人居住").count() == 1
    assert page.locator("text=新增问题").count() == 0  # officials change nothing
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    assert ws["A1"].value == "示范县农村低收入群体住房安全问题整改台账"
    assert [c.value for c in ws[2]] == HEADERS
    titles = {ws.cell(row=r, column=4).value for r in (3, 4)}
    assert titles == {"D级危房仍有人居住", "档案资料填写不规范"}
