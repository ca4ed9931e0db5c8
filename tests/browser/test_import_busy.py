"""A long import says it is working: a moving bar, the buttons disabled, then the result."""

from __future__ import annotations

import pytest

from households.models import Household
from tests.conftest import PASSWORD
from tests.factories import make_id_number
from tests.households.test_import import XLSX, entry, workbook_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_confirm_shows_progress_and_cannot_be_sent_twice(live_server, page, township_user):
    data = workbook_bytes(
        [entry("赵一", make_id_number()), entry("钱二", make_id_number(), village="141124100202")]
    )
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", township_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/households/import/")
    page.set_input_files(
        "#import-form input[type=file]",
        files=[{"name": "名单.xlsx", "mimeType": XLSX, "buffer": data}],
    )
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/households/import/*/")
    confirm = page.locator("form[data-busy] button.primary")

    # Hold the submission in the page to look at the state the user sees while it runs.
    page.evaluate(
        "document.querySelector('form[data-busy]')"
        ".addEventListener('submit', e => e.preventDefault())"
    )
    confirm.click()
    busy = page.locator(".busy[role=status]")
    busy.wait_for(state="visible")
    assert "请勿关闭或刷新页面" in busy.inner_text()
    page.wait_for_function("document.querySelector('form[data-busy] button').disabled")
    assert Household.objects.count() == 0  # nothing was sent

    page.reload()
    page.locator("form[data-busy] button.primary").click()
    page.wait_for_selector("text=导入完成")
    assert sorted(Household.objects.values_list("head_name", flat=True)) == ["赵一", "钱二"]
