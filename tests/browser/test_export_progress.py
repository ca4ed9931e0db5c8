"""Start an export, watch the progress bar, download the file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_shows_progress_then_downloads(live_server, page, township_user, household):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", township_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/households/")
    page.click("#export-form button[type=submit]")
    page.wait_for_url("**/exports/**")
    assert page.locator("[role=progressbar]").count() == 1
    link = page.locator("#export-download")
    link.wait_for(state="visible")
    assert page.locator("#export-bar").get_attribute("style").replace(" ", "").rstrip(";") == (
        "width:100%"
    )
    with page.expect_download() as info:
        link.click()
    wb = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    names = [row[2] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["张三"]
