"""#20 points 4, 8 and 10 in a real browser: the export bar moves in development, batch
approval offers and approves only what can be approved, and the wide tables (月报, 危房台账)
scroll inside their card at 1,366 px and on a phone instead of being clipped or wrapped."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import ExportJob
from renovation.models import ProjectStatus as S
from renovation.models import RenovationProject
from reports.services import monthly_report_draft
from tests.browser.phone import shows_cards
from tests.conftest import PASSWORD
from tests.factories import HouseholdFactory
from tests.inspections.factories import AppraisalFactory
from tests.renovation.factories import make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [1366, 375]


def _login(page, live_server, user, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _fits_and_scrolls_inside(page, table_id: str, width: int) -> None:
    # The page itself never scrolls sideways; the table's card does, or on a phone a list's
    # rows are cards (issue 19).
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    if width <= 600 and page.locator(f"table.list#{table_id}").count():
        assert shows_cards(page, f"#{table_id}")
        return
    wrap = page.locator(f".table-wrap:has(#{table_id})")
    assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    # Every header can be brought into view by scrolling the card: nothing is clipped.
    last = page.locator(f"#{table_id} thead th").last
    last.scroll_into_view_if_needed()
    box, card = last.bounding_box(), wrap.bounding_box()
    assert box["x"] >= card["x"] - 1 and box["x"] + box["width"] <= card["x"] + card["width"] + 1


@pytest.mark.parametrize("width", WIDTHS)
def test_monthly_report_table_scrolls_inside_its_card(
    live_server, page, areas, county_reviewer, width
):
    report = monthly_report_draft(county=areas["county"], month=dt.date(2026, 11, 20))
    _login(page, live_server, county_reviewer, width)
    page.goto(f"{live_server.url}/reports/monthly/{report.pk}/")
    assert page.locator("#monthly-table th", has_text="拆旧").count() == 1
    _fits_and_scrolls_inside(page, "monthly-table", width)
    # Cells keep one line: a township name is not broken over lines.
    cell = page.locator("#monthly-table tbody tr td").first
    assert cell.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"


@pytest.mark.parametrize("width", WIDTHS)
def test_danger_ledger_keeps_township_names_on_one_line(
    live_server, page, areas, county_reviewer, width
):
    household = HouseholdFactory(village=areas["village"], head_name="台账户")
    AppraisalFactory(household=household, level="D")
    _login(page, live_server, county_reviewer, width)
    page.goto(f"{live_server.url}/inspections/ledger/")
    row = page.locator("#ledger-table tbody tr", has_text="台账户")
    assert row.count() == 1
    township = row.locator("td").nth(2)
    heights = township.evaluate(
        "el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).lineHeight)]"
    )
    assert heights[0] < 2 * heights[1] + 16  # one line (plus padding), not wrapped
    _fits_and_scrolls_inside(page, "ledger-table", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_batch_approval_offers_and_approves_only_what_can_be_approved(
    live_server, page, areas, county_approver, width
):
    ready = make_project(
        HouseholdFactory(village=areas["village"], head_name="可批户"), S.PUBLICITY
    )
    make_project(HouseholdFactory(village=areas["village"], head_name="已销户"), S.CLOSED)
    make_project(HouseholdFactory(village=areas["village"], head_name="已批户"), S.APPROVED)
    _login(page, live_server, county_approver, width)
    page.goto(f"{live_server.url}/renovation/")
    assert page.locator("#project-table input[name=ids]").count() == 1
    page.check("[data-check-all]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#approve-batch")
    page.wait_for_load_state("networkidle")
    assert page.locator(".messages .msg-error").count() == 0, page.locator(".messages").inner_text()
    assert page.locator(".messages .msg-success").count() >= 1
    ready.refresh_from_db()
    assert ready.status == S.APPROVED
    assert RenovationProject.objects.filter(status=S.APPROVED).count() == 2


def test_export_bar_moves_while_the_file_is_built(live_server, page, township_user):
    """The page follows the job part-way (the job itself runs in a thread without a broker:
    `tests/core/test_export_thread.py`), instead of a bar that appears at 100 %."""
    job = ExportJob.objects.create(
        kind="households", created_by=township_user, status="running", progress=10
    )
    _login(page, live_server, township_user, 1366)
    page.goto(f"{live_server.url}/exports/{job.pk}/")
    for percent in (10, 40, 70):
        ExportJob.objects.filter(pk=job.pk).update(progress=percent, message="正在生成")
        page.wait_for_function(
            "p => document.getElementById('export-bar').style.width === p + '%'", arg=percent
        )
        assert f"（{percent}%）" in page.locator("#export-message").inner_text()
    assert not page.locator("#export-download").is_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_payout_lines_show_their_total_and_fit(live_server, page, areas, county_reviewer, width):
    """#20 points 6 and 9: 拨付明细 totals the whole filter with separators; the table scrolls
    inside its card."""
    from tests.subsidies.test_line_list import _lines

    _lines(areas, county_reviewer, ["50000", "20000", "3000.50"])
    _login(page, live_server, county_reviewer, width)
    page.goto(f"{live_server.url}/subsidies/lines/")
    assert "共 3 条，合计 73,000.50 元" in page.locator("#line-totals").inner_text()
    assert page.locator("#line-table tbody tr").count() == 3
    _fits_and_scrolls_inside(page, "line-table", width)
