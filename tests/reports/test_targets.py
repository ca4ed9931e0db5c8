"""Annual targets (issue 17 point 3): assign → split → adjust, with history; progress figures
equal an independent count; planned and dynamic tasks apart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import DomainError, RoleRefused
from renovation.models import ProjectStatus as S
from renovation.models import RenovationProject
from reports.models import AnnualTarget, TargetRevision
from reports.targets import target_progress, target_set
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
YEAR = 2026
YEAR_END = dt.date(YEAR, 12, 1)


def test_assign_split_adjust_keeps_every_version(
    city_areas, province_reviewer, city_reviewer, county_reviewer
):
    a = city_areas
    target_set(by=province_reviewer, area=a["city"], year=YEAR, renovations=100, funds="3000000")
    target_set(by=city_reviewer, area=a["county"], year=YEAR, renovations=60)
    target_set(by=city_reviewer, area=a["county2"], year=YEAR, renovations=40)
    with pytest.raises(DomainError, match="超过吕梁市的年度任务 100 户"):
        target_set(by=city_reviewer, area=a["county2"], year=YEAR, renovations=41, reason="加")
    target_set(by=county_reviewer, area=a["township"], year=YEAR, renovations=35)
    target_set(by=county_reviewer, area=a["other_township"], year=YEAR, renovations=25)
    with pytest.raises(DomainError, match="超过示范县的年度任务 60 户"):
        target_set(by=county_reviewer, area=a["township"], year=YEAR, renovations=36, reason="x")
    # The city cannot take back what the county has split already.
    with pytest.raises(DomainError, match="已分解到下级的任务合计 60 户"):
        target_set(by=city_reviewer, area=a["county"], year=YEAR, renovations=59, reason="减")
    with pytest.raises(DomainError, match="调整理由"):
        target_set(by=city_reviewer, area=a["county"], year=YEAR, renovations=62)
    # The province adds dynamic room; the city adjusts the county; the county splits it.
    target_set(by=province_reviewer, area=a["city"], year=YEAR, renovations=110, reason="追加")
    target = target_set(
        by=city_reviewer, area=a["county"], year=YEAR, renovations=70, reason="追加"
    )
    target_set(by=county_reviewer, area=a["township"], year=YEAR, renovations=45, reason="追加")

    assert (target.renovations, target.version) == (70, 2)
    history = list(TargetRevision.objects.unscoped("test").filter(target=target))
    assert [(r.version, r.renovations, r.reason) for r in history] == [
        (1, 60, ""),
        (2, 70, "追加"),
    ]
    assert AnnualTarget.objects.unscoped("test").get(area=a["township"]).version == 2


def test_only_the_level_directly_above_assigns(
    city_areas, city_reviewer, county_reviewer, county2_reviewer, other_city_reviewer
):
    a = city_areas
    with pytest.raises(RoleRefused):
        target_set(by=county_reviewer, area=a["county"], year=YEAR, renovations=1)
    with pytest.raises(RoleRefused):
        target_set(by=county2_reviewer, area=a["township"], year=YEAR, renovations=1)
    with pytest.raises(RoleRefused):
        target_set(by=other_city_reviewer, area=a["county"], year=YEAR, renovations=1)
    with pytest.raises(RoleRefused):
        target_set(by=city_reviewer, area=a["township"], year=YEAR, renovations=1)
    assert not AnnualTarget.objects.unscoped("test").exists()


def test_a_county_without_a_city_sets_its_own_target(areas, county_reviewer):
    target = target_set(by=county_reviewer, area=areas["county"], year=YEAR, renovations=12)
    assert target.renovations == 12


def test_progress_equals_an_independent_count(city_areas, city_reviewer, county_reviewer):
    from renovation.models import FUNDED
    from tests.renovation.factories import make_project

    a = city_areas
    target_set(by=city_reviewer, area=a["county"], year=YEAR, renovations=10)
    target_set(by=county_reviewer, area=a["township"], year=YEAR, renovations=6)
    villages = [a["village"], a["village2"], a["other_village"], a["county2_village"]]
    statuses = [S.APPROVED, S.UNDER_CONSTRUCTION, S.COMPLETED, S.ACCEPTED, S.WITHDRAWN, S.APPLIED]
    for n in range(18):
        status = statuses[n % len(statuses)]
        ended = {"end_reason": "农户放弃", "ended_on": YEAR_END} if status == S.WITHDRAWN else {}
        make_project(HouseholdFactory(village=villages[n % 4]), status, dynamic=n % 5 == 0, **ended)

    funded = list(
        RenovationProject.objects.unscoped("test")
        .filter(status__in=FUNDED)
        .select_related("household")
    )

    def expect(prefix, dynamic):
        mine = [
            p for p in funded if p.household.village_id.startswith(prefix) and p.dynamic == dynamic
        ]
        return (
            len(mine),
            sum(p.started_on is not None for p in mine),
            sum(p.completed_on is not None for p in mine),
            sum(p.accepted_on is not None for p in mine),
        )

    progress = target_progress(city_reviewer, YEAR)
    rows = {r.code: r for r in progress["rows"]}
    for county in (a["county"], a["county2"]):
        row = rows[county.code]
        for dynamic, counts in ((False, row.planned), (True, row.dynamic)):
            assert (counts.projects, counts.started, counts.completed, counts.accepted) == expect(
                county.prefix, dynamic
            )
    assert rows[a["county"].code].target == 10
    total = progress["total"]
    assert total.planned.projects + total.dynamic.projects == len(funded) == 12
    assert total.dynamic.projects == sum(p.dynamic for p in funded) > 0
    county_progress = target_progress(county_reviewer, YEAR)
    township = {r.code: r for r in county_progress["rows"]}[a["township"].code]
    assert township.target == 6
    assert township.planned.projects == expect(a["township"].prefix, False)[0]
    assert county_progress["unsplit"] == 4
    assert township.rate == (Decimal(100) * township.planned.completed / 6).quantize(Decimal("0.1"))


def test_target_pages(client, city_areas, city_reviewer, county_reviewer):
    from django.urls import reverse

    client.force_login(city_reviewer)
    page = client.get(reverse("reports:targets"), {"year": YEAR}).content.decode()
    assert (
        "邻县" in page
        and reverse("reports:target_set", args=[city_areas["county"].code, YEAR]) in page
    )
    response = client.post(
        reverse("reports:target_set", args=[city_areas["county"].code, YEAR]),
        {"renovations": "8", "funds": "", "reason": ""},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("reports:target_set", args=[city_areas["county"].code, YEAR]),
        {"renovations": "9", "funds": "", "reason": ""},
    )
    assert "调整理由" in response.content.decode()
    # The county may not set its own target when a city is above it.
    client.force_login(county_reviewer)
    response = client.post(
        reverse("reports:target_set", args=[city_areas["county"].code, YEAR]),
        {"renovations": "99", "reason": "x"},
    )
    assert response.status_code == 403
    assert AnnualTarget.objects.unscoped("test").get(area=city_areas["county"]).renovations == 8


def test_the_monthly_report_shows_targets_and_dynamic_tasks_apart(
    city_areas, city_reviewer, county_reviewer
):
    from reports.services import monthly_report_draft
    from tests.renovation.factories import make_project

    a = city_areas
    target_set(by=city_reviewer, area=a["county"], year=YEAR, renovations=9)
    target_set(by=county_reviewer, area=a["township"], year=YEAR, renovations=5)
    for n in range(4):
        make_project(HouseholdFactory(village=a["village"]), S.APPROVED, dynamic=n == 0)
    report = monthly_report_draft(county=a["county"], month=dt.date(YEAR, 11, 1))
    row = report.rows.get(area=a["township"])
    assert (row.target, row.planned, row.dynamic) == (5, 4, 1)
    assert report.rows.get(area=a["other_township"]).target == 0
    assert report.rows.get(is_total=True).target == 9  # the city's figure, not the split's sum
