"""Spot checks (issue 17 point 5): a seeded, recorded draw; findings into the county's ledger
with the right source; the close-out needs the level that raised them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.errors import DomainError, RoleRefused
from rectification import services
from rectification.models import EntryResult, ItemStatus, RectificationItem, Source
from rectification.spotcheck import digest, draw, population, spot_check_draw, spot_check_record
from tests.factories import HouseholdFactory
from tests.rectification.factories import jpeg_upload

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def households(city_areas):
    a = city_areas
    villages = [a["village"], a["village2"], a["other_village"], a["county2_village"]]
    return [HouseholdFactory(village=villages[n % 4]) for n in range(60)]


def test_the_same_seed_draws_the_same_sample_and_the_draw_is_recorded(households, city_reviewer):
    first = spot_check_draw(by=city_reviewer, title="档案抽查", year=YEAR, sample_size=20, seed=7)
    again = spot_check_draw(by=city_reviewer, title="复核", year=YEAR, sample_size=20, seed=7)
    other = spot_check_draw(by=city_reviewer, title="另一次", year=YEAR, sample_size=20, seed=8)
    ids = lambda s: [e.household_id for e in s.entries.order_by("position")]  # noqa: E731
    assert len(ids(first)) == 20 and ids(first) == ids(again) != ids(other)
    # Anyone can repeat it from what was recorded: the population (ordered by id) and the seed.
    population_ids = list(population(city_reviewer, county=None))
    assert first.population == len(population_ids) == 60
    assert first.population_digest == digest(population_ids)
    assert draw(population_ids, 20, first.seed) == ids(first)


def test_filters_by_county_and_category(households, city_reviewer, city_areas):
    county2 = city_areas["county2"]
    spot = spot_check_draw(
        by=city_reviewer, title="邻县", year=YEAR, sample_size=50, county=county2, seed=1
    )
    assert spot.population == 15 and spot.entries.count() == 15
    assert {e.household.county_code for e in spot.entries.all()} == {"141125"}
    with pytest.raises(DomainError, match="本辖区内的县"):
        spot_check_draw(
            by=city_reviewer,
            title="x",
            year=YEAR,
            sample_size=5,
            county=city_areas["far_county"],
        )


def test_findings_go_into_the_countys_ledger_and_the_city_closes_them(
    client, households, city_reviewer, county_reviewer, county_approver, township_user, areas
):
    spot = spot_check_draw(by=city_reviewer, title="档案抽查", year=YEAR, sample_size=20, seed=3)
    entry = next(e for e in spot.entries.all() if e.household.county_code == "141124")
    spot_check_record(
        entry=entry,
        by=city_reviewer,
        result=EntryResult.PROBLEM,
        problem_type="work",
        title="档案资料填写不规范",
        findings="竣工验收表无验收日期",
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    item = RectificationItem.objects.unscoped("test").get(spot_check=spot)
    assert (item.source, item.verifier_area_id) == (Source.CITY_SPOT_CHECK, "141100000000")
    assert list(item.households.all()) == [entry.household]

    # The county's ledger export lists it, with its source.
    import io

    from openpyxl import load_workbook

    from rectification.exports import write_ledger
    from rectification.selectors import item_list

    data = write_ledger(list(item_list(county_reviewer)), title="台账")
    rows = load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
    cells = [c for row in rows for c in row]
    assert "档案资料填写不规范" in cells
    assert any(isinstance(c, str) and "来源：市级抽查" in c for c in cells)

    # The county works on it, but can neither reword nor close it.
    assert isinstance(services.steps.refusal("edit", item, county_reviewer), RoleRefused)
    services.note_add(item=item, by=township_user, content="已补填日期", files=[jpeg_upload()])
    services.item_submit(item=item, by=township_user)
    item.refresh_from_db()
    for county_user in (county_reviewer, county_approver):
        with pytest.raises(RoleRefused, match="吕梁市核验销号"):
            services.item_close(item=item, by=county_user, note="已核")
    client.force_login(county_reviewer)
    assert client.post(reverse("rectification:item_close", args=[item.pk])).status_code == 403
    services.item_close(item=item, by=city_reviewer, note="抽查单位复核属实")
    item.refresh_from_db()
    assert item.status == ItemStatus.CLOSED and item.closed_by == city_reviewer


def test_the_city_does_not_close_the_countys_own_items(item, city_reviewer, township_user):
    services.note_add(item=item, by=township_user, content="已整改", files=[jpeg_upload()])
    services.item_submit(item=item, by=township_user)
    item.refresh_from_db()
    with pytest.raises(RoleRefused, match="县住建局核验销号"):
        services.item_close(item=item, by=city_reviewer, note="x")


def test_a_county_cannot_enter_a_spot_check_source(areas, county_reviewer):
    with pytest.raises(DomainError, match="抽查单位"):
        services.item_create(
            by=county_reviewer,
            source=Source.CITY_SPOT_CHECK,
            problem_type="work",
            title="x",
            findings="y",
            area=areas["county"],
            deadline=dt.date(2027, 1, 1),
            responsible_unit="县住建局",
        )


def test_pages_and_another_citys_spot_check_is_404(
    client, households, city_reviewer, other_city_reviewer, county_reviewer
):
    client.force_login(city_reviewer)
    response = client.post(
        reverse("rectification:spotcheck_draw"),
        {"title": "档案抽查", "year": YEAR, "sample_size": "20", "seed": "11"},
    )
    assert response.status_code == 302
    spot = city_reviewer_spot(city_reviewer)
    page = client.get(spot.get_absolute_url()).content.decode()
    assert "从 60 户中抽取 20 户" in page and "11" in page
    entry = spot.entries.first()
    response = client.post(
        reverse("rectification:spotcheck_entry", args=[entry.pk]),
        {"result": "problem", "problem_type": "work", "title": "", "findings": ""},
    )
    assert "具体问题和问题简述" in response.content.decode()
    assert not RectificationItem.objects.unscoped("test").exists()
    for url in (spot.get_absolute_url(), reverse("rectification:spotcheck_entry", args=[entry.pk])):
        client.force_login(other_city_reviewer)
        assert client.get(url).status_code == 404
        client.force_login(county_reviewer)  # the draw is the city's: nothing to see
        assert client.get(url).status_code == 403


def city_reviewer_spot(user):
    from rectification.models import SpotCheck

    return SpotCheck.objects.visible_to(user).get()
