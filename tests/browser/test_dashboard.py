"""The home page draws its charts with the vendored library, offline, and its queue links work."""

from __future__ import annotations

import pytest

from renovation.models import ProjectStatus as S
from tests.conftest import PASSWORD
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_dashboard_draws_charts_without_leaving_the_server(
    live_server, page, areas, county_reviewer
):
    make_project(HouseholdFactory(village=areas["village"], head_name="甲"), S.ACCEPTED)
    make_project(
        HouseholdFactory(village=areas["other_village"], head_name="乙"), S.UNDER_CONSTRUCTION
    )
    make_project(
        HouseholdFactory(village=areas["other_village"], head_name="丙"), S.TOWNSHIP_REVIEWED
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", county_reviewer.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    assert page.evaluate("typeof window.Chart") == "function"
    progress = page.evaluate(
        "() => { const c = document.getElementById('chart-progress').chart;"
        " return {labels: c.data.labels, planned: c.data.datasets[0].data,"
        " completed: c.data.datasets[1].data}; }"
    )
    assert progress == {"labels": ["临泉镇", "白文镇"], "planned": [1, 1], "completed": [1, 0]}
    for canvas in ("chart-progress", "chart-pipeline", "chart-categories"):
        box = page.locator(f"#{canvas}").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
    assert all(url.startswith(live_server.url) for url in requested), requested

    page.click("#my-queue a:has-text('待联合审核')")
    page.wait_for_url("**/renovation/?status=township_reviewed")
    assert page.locator("text=丙").count() >= 1 and page.locator("text=甲").count() == 0
