"""The newest inspection kept on the household (issue 18 point 5), like the safety level:
`Household.latest_inspection_on` / `latest_occupied` follow the inspection records whatever
writes them and nothing else; the ledger's emergencies and the dashboard read the columns
(and the tally) instead of a subquery per household."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from households import tally
from households.models import Household, HouseholdEvent
from inspections import selectors
from inspections.models import InspectionRecord, SafetyState
from tests.factories import HouseholdFactory
from tests.inspections.factories import InspectionFactory

pytestmark = pytest.mark.django_db


def _latest(household) -> tuple:
    return (
        Household.objects.unscoped("test")
        .values_list("latest_inspection_on", "latest_occupied")
        .get(pk=household.pk)
    )


def test_the_columns_are_the_newest_inspection_whatever_writes_it(areas, township_user):
    household = HouseholdFactory(village=areas["village"])
    assert _latest(household) == (None, None)
    first = InspectionFactory(
        household=household,
        inspected_on=dt.date(2026, 3, 1),
        occupied=True,
        inspector=township_user,
    )
    assert _latest(household) == (dt.date(2026, 3, 1), True)
    later = InspectionFactory(
        household=household,
        inspected_on=dt.date(2026, 9, 1),
        occupied=False,
        inspector=township_user,
    )
    assert _latest(household) == (dt.date(2026, 9, 1), False)
    with connection.cursor() as cursor:  # raw SQL as well as the ORM
        cursor.execute(
            "UPDATE inspections_inspectionrecord SET inspected_on = %s WHERE id = %s",
            [dt.date(2026, 1, 1), later.pk],
        )
    assert _latest(household) == (dt.date(2026, 3, 1), True)
    # A record moved to another household: both are recomputed.
    other = HouseholdFactory(village=areas["village"])
    InspectionRecord.objects.unscoped("test").filter(pk=first.pk).update(household=other)
    assert _latest(household) == (dt.date(2026, 1, 1), False)
    assert _latest(other) == (dt.date(2026, 3, 1), True)
    InspectionRecord.objects.unscoped("test").filter(household=household).delete()
    assert _latest(household) == (None, None)


def test_no_other_write_sets_the_columns(areas, township_user):
    household = HouseholdFactory(village=areas["village"])
    InspectionFactory(
        household=household,
        inspected_on=dt.date(2026, 3, 1),
        occupied=True,
        inspector=township_user,
    )
    Household.objects.unscoped("test").filter(pk=household.pk).update(latest_occupied=False)
    assert _latest(household) == (dt.date(2026, 3, 1), True)
    household.phone = "13800000000"  # a stale instance does not write its old values back
    household.save()
    assert _latest(household) == (dt.date(2026, 3, 1), True)
    assert (
        not HouseholdEvent.objects.filter(pgh_obj=household, pgh_label="update")
        .exclude(phone="13800000000")
        .exists()
    ), "an inspection is no household event"


def test_emergencies_are_counted_from_the_columns(areas, county_reviewer, township_user):
    lived_in, empty, never = (HouseholdFactory(village=areas["village"]) for _ in range(3))
    for household in (lived_in, empty, never):
        SafetyState.objects.create(
            household=household, level="D", on=dt.date(2026, 2, 1), source="closeout"
        )
    InspectionFactory(
        household=lived_in, inspected_on=dt.date(2026, 3, 1), occupied=True, inspector=township_user
    )
    InspectionFactory(
        household=empty, inspected_on=dt.date(2026, 3, 1), occupied=False, inspector=township_user
    )
    ledger = selectors.ledger(county_reviewer)
    assert [h.pk for h in ledger if h.emergency] == [lived_in.pk]
    assert "inspections_inspectionrecord" not in str(ledger.query)
    assert tally.count_at_levels(county_reviewer, ["D"], occupied=True) == 1
    assert tally.count_at_levels(township_user, ["D"], occupied=True) == 1
    assert tally.count_at_levels(county_reviewer, ["D"]) == 3
