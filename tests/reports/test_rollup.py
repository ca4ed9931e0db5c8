"""The city's roll-up (issue 17 point 4): each county's row equals that county's own monthly
report total; the city's total is the sum; counties ranked; the report's sending is seen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from renovation.models import ProjectStatus as S
from reports.rollup import county_ranking
from reports.selectors import COUNT_FIELDS
from reports.services import monthly_report_draft, monthly_report_send, monthly_report_submit
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
MONTH = dt.date(2026, 11, 1)


@pytest.fixture
def two_counties(city_areas):
    a = city_areas
    villages = [a["village"], a["village2"], a["other_village"], a["county2_village"]]
    statuses = [S.APPROVED, S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED, S.CLOSED]
    for n in range(20):
        household = HouseholdFactory(village=villages[n % 4], category=["dibao", "tekun"][n % 2])
        if n % 3:
            make_project(household, statuses[n % 5])
    return a


def test_city_figures_equal_the_sum_of_the_countys_own(two_counties, city_reviewer):
    a = two_counties
    ranking = county_ranking(a["city"], MONTH, today=dt.date(2026, 11, 20))
    rows = {r.area.code: r for r in ranking["rows"]}
    assert set(rows) == {a["county"].code, a["county2"].code}
    for county in (a["county"], a["county2"]):
        report = monthly_report_draft(county=county, month=MONTH)
        total = report.rows.get(is_total=True)
        figures = rows[county.code].figures
        for name in COUNT_FIELDS:
            assert figures[name] == getattr(total, name), (county.name, name)
        assert figures["paid_amount"] == total.paid_amount
        assert figures["households_by_category"] == total.households_by_category
    for name in COUNT_FIELDS:
        assert ranking["total"][name] == sum(r.figures[name] for r in ranking["rows"])
    assert ranking["total"]["households_total"] == 20
    # Ranked: every county has a rank, the best score first.
    scores = [r.score for r in ranking["rows"]]
    assert scores == sorted(scores, reverse=True) and ranking["rows"][0].rank == 1


def test_province_rolls_up_the_same(two_counties, city_reviewer, province_reviewer):
    a = two_counties
    city = county_ranking(a["city"], MONTH)
    province = county_ranking(a["province"], MONTH)
    codes = {r.area.code for r in province["rows"]}
    assert {a["county"].code, a["county2"].code, a["far_county"].code} == codes
    for name in COUNT_FIELDS:
        assert province["total"][name] == city["total"][name]  # the far county is empty


def test_the_city_sees_whether_each_county_sent_its_report(
    client, two_counties, city_official, county_reviewer, township_user, other_township_user
):
    a = two_counties
    report = monthly_report_draft(county=a["county"], month=MONTH)
    client.force_login(city_official)
    page = client.get(reverse("reports:rollup"), {"month": "2026-11"}).content.decode()
    assert "未报送（乡镇已报 0/2）" in page and "邻县" in page and "未生成" in page
    with pytest.raises(Exception, match="还有乡镇未报送"):
        monthly_report_send(report=report, by=county_reviewer)
    for user in (township_user, other_township_user):
        monthly_report_submit(row=report.rows.get(area=user.area), by=user)
    monthly_report_send(report=report, by=county_reviewer)
    page = client.get(reverse("reports:rollup"), {"month": "2026-11"}).content.decode()
    assert "已报送（" in page


def test_city_dashboard_shows_its_counties(client, two_counties, city_reviewer):
    client.force_login(city_reviewer)
    page = client.get(reverse("home")).content.decode()
    assert "各县（区）改造进度" in page
    assert "示范县" in page and "邻县" in page


def test_the_ranking_downloads_as_a_workbook(client, two_counties, city_official):
    import io

    from openpyxl import load_workbook

    client.force_login(city_official)
    response = client.get(reverse("reports:rollup_xlsx"), {"month": "2026-11"})
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    names = [r[1] for r in rows]
    assert "示范县" in names and "邻县" in names and names[-1] == "合计"
    planned = rows[0].index("年度计划")
    assert rows[-1][planned] == sum(r[planned] for r in rows[1:-1])
