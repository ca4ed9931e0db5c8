"""Acceptance on a 375×812 phone screen: inspection with photo → D appraisal → ledger flag."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.inspections.factories import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _frozen_today():
    """The live server and the browser run on the real clock."""
    yield


def _login(page, live_server, user):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _nav(page, label: str) -> None:
    """On a phone the header's links sit behind the 菜单 button."""
    page.click("#menu-toggle")
    page.click(f"nav >> text={label}")


def _fits_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_phone_inspection_then_d_appraisal_flags_ledger(
    live_server, page, tmp_path, township_user, county_reviewer, household, other_household
):
    page.set_viewport_size({"width": 375, "height": 812})
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(jpeg_bytes())

    _login(page, live_server, township_user)
    _nav(page, "排查鉴定")
    page.fill("#id_q", "张三")
    page.click("button:has-text('查询')")
    assert page.locator("text=李四").count() == 0
    page.click("#overview-table >> text=张三")
    page.click("text=录入排查")
    assert _fits_screen(page)
    page.check("input[name=occupied][value=True]")
    page.fill("#id_findings", "后墙开裂，仍有老人居住")
    page.set_input_files("#id_photos", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存排查记录")
    assert "后墙开裂，仍有老人居住" in page.locator("#inspections").inner_text()
    assert page.locator("#inspections a img[alt='照片1']").count() == 1  # a thumbnail

    _login(page, live_server, county_reviewer)
    page.goto(f"{live_server.url}/inspections/households/{household.pk}/")
    page.click("text=录入鉴定")
    assert _fits_screen(page)
    page.check("input[name=level][value=D]")
    page.fill("#id_appraiser_name", "王工")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存鉴定结果")

    _nav(page, "危房台账")
    row = page.locator("#ledger-table tr.emergency")
    assert row.count() == 1
    assert "张三" in row.inner_text() and "紧急" in row.inner_text()
    assert "未采取措施" in row.inner_text()
