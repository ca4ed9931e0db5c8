"""Township staff sign in, find a household, change its phone number, see it in the history."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_township_staff_edits_phone_and_sees_history(
    live_server, page, township_user, household, other_household
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", township_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("text=农户名册")
    page.fill("#id_q", "张三")
    page.click("button:has-text('查询')")
    table = page.locator("#household-table")
    assert table.locator("text=张三").count() == 1
    assert page.locator("text=李四").count() == 0  # another township's household is never listed

    table.locator("a:has-text('张三')").click()
    page.click("#edit-household")
    page.fill("#id_phone", "13912345678")
    page.click("button:has-text('保存')")

    page.wait_for_selector("text=已保存修改")
    assert page.locator("#household-phone").inner_text() == "13912345678"
    history = page.locator("#history")
    assert "联系电话" in history.inner_text()
    assert "13800000000" in history.inner_text()
    assert "13912345678" in history.inner_text()
    assert township_user.display_name in history.inner_text()
