"""Daily pages at a desktop (1,366 px) and a phone (375 px) width: wide tables scroll inside
their card, amounts read `50,000.00`, the read-only official gets no dead checkboxes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from renovation.models import ProjectStatus as S
from tests.browser.phone import shows_cards
from tests.conftest import PASSWORD
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize("width", [1366, 375])
def test_official_sees_projects_without_checkboxes_and_table_fits(
    live_server, page, areas, official, width
):
    project = make_project(HouseholdFactory(village=areas["village"], head_name="甲"), S.APPROVED)
    project.approved_amount = Decimal("50000.00")
    project.save(update_fields=["approved_amount"])
    page.set_viewport_size({"width": width, "height": 900})
    _login(page, live_server, official)
    page.goto(f"{live_server.url}/renovation/")
    assert page.locator("#project-table input[type=checkbox]").count() == 0
    assert page.locator("#project-table td.num", has_text="50,000.00").count() == 1
    # The page itself never scrolls sideways: on a desktop the table scrolls inside its
    # card; on a phone each project is a card of its own (issue 19).
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    if width > 600:
        wrap = page.locator(".table-wrap").first
        assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    else:
        assert shows_cards(page, "#project-table")


@pytest.mark.parametrize("width", [1366, 375])
def test_reviewer_keeps_checkboxes(live_server, page, areas, county_reviewer, width):
    make_project(HouseholdFactory(village=areas["village"], head_name="乙"), S.JOINT_REVIEWED)
    page.set_viewport_size({"width": width, "height": 900})
    _login(page, live_server, county_reviewer)
    page.goto(f"{live_server.url}/renovation/")
    assert page.locator("#project-table input[name=ids]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


@pytest.mark.parametrize("width", [1366, 375])
def test_rectification_filter_says_all(live_server, page, county_reviewer, width):
    page.set_viewport_size({"width": width, "height": 900})
    _login(page, live_server, county_reviewer)
    page.goto(f"{live_server.url}/rectification/")
    overdue = page.locator("select[name=overdue]")
    assert overdue.evaluate("el => el.options[el.selectedIndex].text") == "全部"
    assert page.locator("option", has_text="---------").count() == 0
