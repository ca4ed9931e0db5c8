"""On a 375×812 phone (issue 19 point 2): lists are cards, filters fold into "筛选", the
header is a menu, photos are thumbnails; a township user goes from the household list to a
household, starts an application and records an inspection with a photo without typing a
URL; and no list page of the demo county scrolls sideways.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from demo.county import DEMO_PASSWORD
from renovation.models import RenovationProject
from tests.browser.phone import login_on_phone, shows_cards
from tests.conftest import PASSWORD
from tests.inspections.factories import jpeg_bytes
from tests.renovation.factories import appraise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every page whose main table is a list of records (templates with `table list`), with the
# demo account that sees the most rows on it.
LIST_PAGES = {
    "reviewer": [
        "/households/",
        "/households/changes/",
        "/inspections/",
        "/inspections/ledger/",
        "/inspections/pending/",
        "/inspections/hazards/",
        "/inspections/campaigns/",
        "/inspections/field/",
        "/renovation/",
        "/subsidies/standards/",
        "/subsidies/batches/",
        "/subsidies/lines/",
        "/subsidies/advances/",
        "/rectification/",
        "/rectification/campaigns/",
        "/rectification/complaints/",
        "/reports/alerts/",
        "/reports/monthly/",
        "/staff/",
    ],
    "city": ["/rectification/spotchecks/"],
}


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_township_user_works_from_the_household_cards(
    live_server, page, tmp_path, township_user, areas, other_household
):
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(village=areas["village"], head_name="王小明")
    appraise(household, "C")
    photo = tmp_path / "IMG_0002.jpg"
    photo.write_bytes(jpeg_bytes())
    login_on_phone(page, live_server, township_user.username, PASSWORD)

    # The header is one "菜单" button; its links open below it.
    assert page.locator("#mainnav").is_hidden()
    page.click("#menu-toggle")
    page.click("#mainnav >> text=农户名册")

    # Cards: no header row, every cell labelled, the state badge and the next action.
    assert shows_cards(page, "#household-table")
    card = page.locator("#household-table tbody tr", has_text="王小明")
    assert card.locator("td[data-label='房屋安全']").inner_text().endswith("C级（局部危险）")
    assert card.locator("td[data-label='操作'] a", has_text="录入排查").count() == 1
    assert page.locator("text=李四").count() == 0  # another township's household
    # The search box stays in view; the other filters fold into "筛选".
    assert page.locator("#id_q").is_visible()
    assert page.locator("#id_category").is_hidden()
    page.click("summary:has-text('筛选')")
    assert page.locator("#id_category").is_visible()
    assert _fits(page)

    card.locator("a", has_text="王小明").click()
    page.click("#action-apply")
    # The click starts a navigation: measure the form once it is there, not the page between.
    page.wait_for_selector("#id_applied_on")
    assert _fits(page)
    page.fill("#id_applied_on", "2026-11-20")
    page.click("button:has-text('保存')")
    page.wait_for_url(re.compile(r"/renovation/\d+/$"))
    project = RenovationProject.objects.get(household=household)
    assert page.url.endswith(project.get_absolute_url())

    page.click("#household-link")  # the project page leads back to its household
    page.click("#action-inspection")
    page.check("input[name=occupied][value=True]")
    page.fill("#id_findings", "屋面漏雨")
    page.set_input_files("#id_photos", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存排查记录")
    thumb = page.locator("#inspections .thumbs a img")
    assert thumb.count() == 1
    # The thumbnail is a small image that opens the original.
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 240")
    assert "/thumb/" in thumb.get_attribute("src")
    assert "/thumb/" not in thumb.locator("xpath=..").get_attribute("href")
    assert _fits(page)


def test_no_list_page_scrolls_sideways_on_a_phone(live_server, page):
    call_command("seed_demo", stdout=io.StringIO())
    wide = {}
    for username, urls in LIST_PAGES.items():
        login_on_phone(page, live_server, username, DEMO_PASSWORD)
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, url
            assert page.locator("table.list").count() == 1, url
            rows = page.locator("table.list tbody tr")
            if rows.count() and not rows.first.locator("td.empty").count():
                assert shows_cards(page, "table.list"), url
            sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if sizes[0] > sizes[1]:
                wide[url] = sizes
    assert wide == {}
