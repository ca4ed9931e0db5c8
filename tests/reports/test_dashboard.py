"""The home page per role: figures, queue, charts; scoped, and a flat number of queries."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.urls import reverse

from rectification.models import ItemStatus
from renovation.models import ProjectStatus as S
from reports.dashboard import dashboard
from subsidies.models import BatchStatus, LineStatus, PayoutLine
from tests.factories import HouseholdFactory
from tests.rectification.factories import ItemFactory
from tests.renovation.factories import make_project
from tests.subsidies.factories import accepted_project, batch

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _hh(areas, village, name):
    return HouseholdFactory(village=areas[village], head_name=name)


@pytest.fixture
def projects(areas, county_reviewer, county_approver):
    """Projects in both townships at chosen steps; one paid line in each township."""
    own = {
        "applied": make_project(_hh(areas, "village", "甲"), S.APPLIED),
        "village_reviewed": make_project(_hh(areas, "village", "乙"), S.VILLAGE_REVIEWED),
        "village_reviewed2": make_project(_hh(areas, "village2", "丙"), S.VILLAGE_REVIEWED),
        "publicity": make_project(_hh(areas, "village", "丁"), S.PUBLICITY),
        "under_construction": make_project(_hh(areas, "village", "戊"), S.UNDER_CONSTRUCTION),
        "accepted": accepted_project(
            _hh(areas, "village2", "己"), accepted_on=dt.date(2026, 11, 2)
        ),
    }
    other = {
        "village_reviewed": make_project(_hh(areas, "other_village", "庚"), S.VILLAGE_REVIEWED),
        "township_reviewed": make_project(_hh(areas, "other_village", "辛"), S.TOWNSHIP_REVIEWED),
        "accepted": accepted_project(
            _hh(areas, "other_village", "壬"), accepted_on=dt.date(2026, 11, 3)
        ),
    }
    paid = batch(
        county_reviewer,
        status=BatchStatus.PAID,
        paid_on=dt.date(2026, 11, 20),
        paid_by=county_approver,
    )
    batch(county_reviewer, status=BatchStatus.SUBMITTED)  # waits for the approver
    for project, amount in ((own["accepted"], "30000.00"), (other["accepted"], "20000.00")):
        PayoutLine.objects.create(
            batch=paid,
            project=project,
            amount=Decimal(amount),
            account=project.household.bank_account,
            account_masked=project.household.bank_account_masked,
            status=LineStatus.PAID,
            created_by=county_reviewer,
        )
    return own, other


def _queue(user) -> dict[str, int]:
    return {entry.label: entry.count for entry in dashboard(user)["queue"]}


def _figures(user) -> dict[str, object]:
    return {figure.key: figure.value for figure in dashboard(user)["figures"]}


def test_township_queue_counts_only_its_own_steps_and_area(projects, township_user, areas):
    ItemFactory(area=areas["township"], status=ItemStatus.OPEN)
    ItemFactory(area=areas["township"], status=ItemStatus.IN_PROGRESS)
    ItemFactory(area=areas["township"], status=ItemStatus.IN_PROGRESS)
    ItemFactory(area=areas["other_township"], status=ItemStatus.OPEN)
    queue = _queue(township_user)
    assert queue == {
        "改造申请待村级评议": 1,
        "待乡镇初审": 2,
        "施工中（质量检查、竣工）": 1,
        "整改问题待整改": 1,
        "整改问题整改中": 2,
    }


def test_county_reviewer_queue(projects, county_reviewer, areas):
    ItemFactory(area=areas["township"], status=ItemStatus.SUBMITTED)
    queue = _queue(county_reviewer)
    assert queue["待联合审核"] == 1
    assert queue["已验收待销号"] == 2
    assert queue["整改问题待核验销号"] == 1
    # Steps of other roles are not in the reviewer's queue.
    assert "待乡镇初审" not in queue and "公示中待审批" not in queue


def test_approver_queue_and_official_has_none(projects, county_approver, official):
    assert _queue(county_approver) == {"公示期满待审批": 1, "已提交财政待确认拨付": 1}
    assert _queue(official) == {}


def test_queue_links_open_the_filtered_list(client, projects, township_user):
    client.force_login(township_user)
    entry = next(e for e in dashboard(township_user)["queue"] if e.label == "待乡镇初审")
    page = client.get(entry.url).content.decode()
    assert "甲" not in page and "乙" in page and "丙" in page and "庚" not in page


def test_key_figures_equal_independent_counts(projects, township_user, county_reviewer):
    own = _figures(township_user)
    # Own township: 6 projects' households; planned = funded projects of 2026 (construction,
    # accepted); completed = those with a completion date (accepted); paid 30,000 here.
    assert own["households"] == 6
    assert own["planned"] == 2 and own["completed"] == 1
    assert own["paid-amount"] == Decimal("30000.00")
    county = _figures(county_reviewer)
    assert county["households"] == 9
    assert county["planned"] == 3 and county["completed"] == 2
    assert county["paid-amount"] == Decimal("50000.00")


def test_progress_chart_rows_by_township_for_the_county_and_by_village_for_a_township(
    projects, township_user, county_reviewer, village_clerk
):
    rows = dashboard(county_reviewer)["charts"]["progress"]["rows"]
    assert rows == [
        {"label": "临泉镇", "planned": 2, "completed": 1, "rate": 50.0},
        {"label": "白文镇", "planned": 1, "completed": 1, "rate": 100.0},
    ]
    rows = dashboard(township_user)["charts"]["progress"]["rows"]
    assert rows == [
        {"label": "东村", "planned": 1, "completed": 0, "rate": 0.0},
        {"label": "西村", "planned": 1, "completed": 1, "rate": 100.0},
    ]
    assert dashboard(village_clerk)["charts"]["progress"] is None


def test_pipeline_chart_counts_statuses_in_area(projects, township_user):
    pipeline = dashboard(township_user)["charts"]["pipeline"]
    counts = dict(zip(pipeline["labels"], pipeline["counts"], strict=True))
    assert counts == {
        "已申请": 1,
        "村级评议通过": 2,
        "公示中": 1,
        "施工中": 1,
        "已验收": 1,
    }


def test_home_page_embeds_chart_data_and_the_vendored_library(client, projects, township_user):
    client.force_login(township_user)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert "/static/vendor/chartjs/chart.umd.min.js" in page
    assert "/static/js/dashboard.js" in page
    assert finders.find("vendor/chartjs/chart.umd.min.js")
    assert "cdn" not in page.lower()
    embedded = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', page
    )
    data = json.loads(embedded.group(1))
    assert data["pipeline"]["counts"] == [1, 2, 1, 1, 1]
    assert "白文镇" not in page and "庚" not in page


def test_home_page_query_count_is_flat(
    client, areas, township_user, county_reviewer, django_assert_max_num_queries
):
    def queries_for(user) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        return len(ctx)

    make_project(_hh(areas, "village", "首户"), S.ACCEPTED)
    few = {u.username: queries_for(u) for u in (township_user, county_reviewer)}
    for i in range(8):
        make_project(_hh(areas, "village" if i % 2 else "other_village", f"户{i}"), S.ACCEPTED)
        ItemFactory(area=areas["township"], status=ItemStatus.OPEN)
    many = {u.username: queries_for(u) for u in (township_user, county_reviewer)}
    assert few == many
    # 30, and three grouped queries for the year's targets (issue 17).
    with django_assert_max_num_queries(33):
        client.force_login(county_reviewer)
        client.get(reverse("home"))
