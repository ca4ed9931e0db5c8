"""The households' counts per township (`HouseholdTally`, issue 18 point 5): kept by the
household table's own triggers whatever writes the households, folded nightly, read by the
dashboard instead of counting a county's or a city's households."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from households import tally
from households.models import Category, Household, HouseholdTally
from inspections.models import SafetyState
from tests.factories import HouseholdFactory
from tests.inspections.factories import InspectionFactory

pytestmark = pytest.mark.django_db


def _truth() -> dict[tuple, int]:
    rows = Household.objects.unscoped("test").values_list(
        "township_code", "category", "safety_level", "exited_on", "latest_occupied"
    )
    counts: dict[tuple, int] = {}
    for township, category, level, exited_on, occupied in rows:
        key = (township, category, level or "", exited_on is not None, occupied)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _tally() -> dict[tuple, int]:
    rows = (
        HouseholdTally.objects.unscoped("test")
        .values_list("township_code", "category", "safety_level", "exited", "occupied")
        .annotate(total=Sum("n"))
    )
    return {tuple(r[:5]): r[5] for r in rows if r[5]}


def test_the_tally_follows_every_kind_of_write(areas):
    a, b = (HouseholdFactory(village=areas["village"], category=Category.DIBAO) for _ in "ab")
    HouseholdFactory(village=areas["other_village"], category=Category.TEKUN)
    built = [HouseholdFactory.build(village=areas["village2"]) for _ in range(3)]
    for h in built:
        h.sync_sensitive()  # what save() does
    Household.objects.bulk_create(built)  # one statement, three rows
    assert _tally() == _truth()

    a.category = Category.TEKUN  # one row saved
    a.save()
    Household.objects.unscoped("test").filter(pk=b.pk).update(village=areas["other_village"])
    Household.objects.unscoped("test").filter(pk=a.pk).update(exited_on=dt.date(2026, 11, 1))
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute(
            "UPDATE households_household SET category = 'dibao' WHERE village_id = %s",
            [areas["village2"].code],
        )
    assert _tally() == _truth()

    # The safety level, written by the safety states' trigger.
    SafetyState.objects.create(household=b, level="D", on=dt.date(2026, 11, 2), source="closeout")
    assert _tally() == _truth()
    assert _tally()[("141124101", Category.DIBAO, "D", False, None)] == 1

    Household.objects.unscoped("test").filter(pk=a.pk).delete()
    assert _tally() == _truth()


def test_a_write_that_changes_no_counted_column_adds_no_row(household):
    rows = HouseholdTally.objects.unscoped("test").count()
    household.phone = "13800000000"
    household.save()
    Household.objects.unscoped("test").update(address="别处")
    assert HouseholdTally.objects.unscoped("test").count() == rows


def test_a_refused_write_leaves_no_count(areas):
    with pytest.raises(RuntimeError), transaction.atomic():
        HouseholdFactory.create_batch(3, village=areas["village"])
        raise RuntimeError
    assert _tally() == {} == _truth()


def test_compact_folds_each_group_into_one_row(areas, township_user):
    households = HouseholdFactory.create_batch(4, village=areas["village"], category="dibao")
    # Lived in or not at the newest inspection: a group of its own, kept by the fold.
    InspectionFactory(household=households[3], occupied=True, inspector=township_user)
    InspectionFactory(household=households[2], occupied=False, inspector=township_user)
    for h in households[:2]:
        Household.objects.unscoped("test").filter(pk=h.pk).update(category="tekun")
    Household.objects.unscoped("test").filter(pk=households[0].pk).update(category="dibao")
    before = _tally()
    assert HouseholdTally.objects.unscoped("test").count() > len(before)

    rows_before, rows_after = tally.compact()
    assert rows_after == len(before) == HouseholdTally.objects.unscoped("test").count()
    assert rows_before > rows_after
    assert _tally() == before == _truth()
    assert tally.compact()[1] == rows_after  # again: nothing left to fold


def test_counts_are_the_users_area_only(areas, county_reviewer, township_user, village_clerk):
    HouseholdFactory.create_batch(2, village=areas["village"], category="dibao")
    HouseholdFactory(village=areas["village2"], category="tekun")
    HouseholdFactory.create_batch(3, village=areas["other_village"], category="dibao")
    SafetyState.objects.create(
        household=Household.objects.unscoped("test").filter(village=areas["other_village"])[0],
        level="C",
        on=dt.date(2026, 11, 2),
        source="closeout",
    )
    assert tally.counts_by_category(county_reviewer) == {"dibao": 5, "tekun": 1}
    assert tally.counts_by_category(township_user) == {"dibao": 2, "tekun": 1}
    assert tally.counts_by_category(village_clerk) == {"dibao": 2}  # from its households
    assert tally.count_at_levels(county_reviewer, ["C", "D"]) == 1
    assert tally.count_at_levels(township_user, ["C", "D"]) == 0


def test_the_city_reads_its_counties_only(city_areas, city_reviewer, other_city_reviewer):
    HouseholdFactory.create_batch(2, village=city_areas["village"], category="dibao")
    assert tally.counts_by_category(city_reviewer) == {"dibao": 2}
    assert tally.counts_by_category(other_city_reviewer) == {}


def test_the_dashboard_counts_from_the_tally(client, county_reviewer, areas):
    HouseholdFactory.create_batch(3, village=areas["village"], category="dibao")
    client.force_login(county_reviewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    figures = {f.key: f.value for f in response.context["figures"]}
    assert figures["households"] == 3
    grouped = [
        q["sql"]
        for q in queries
        if "GROUP BY" in q["sql"] and 'FROM "households_household"' in q["sql"]
    ]
    assert grouped == [], "the households are counted from the tally, not scanned"


def test_the_nightly_task_folds_the_tally(areas):
    from households.tasks import compact_tally

    HouseholdFactory.create_batch(2, village=areas["village"])  # a row per statement at least
    before = HouseholdTally.objects.unscoped("test").count()
    assert before >= 2
    assert compact_tally.delay().get() == f"{before} rows → 1"
    assert _tally() == _truth()
