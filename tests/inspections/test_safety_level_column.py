"""The current safety level kept on the household (issue 18 point 5).

`Household.safety_level` / `safety_level_on` are the newest safety state (by date, then id),
kept by the database whatever writes the states — a service, a factory, raw SQL — and never
by anything else: an app write of the column keeps the states' value. Lists, the ledger and
the reports read the column (through an index), not a subquery per household.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from households.models import Household, HouseholdEvent
from inspections import selectors
from inspections.models import SafetyState
from tests.factories import HouseholdFactory
from tests.inspections.factories import AppraisalFactory

pytestmark = pytest.mark.django_db


def _level(household) -> tuple:
    return (
        Household.objects.unscoped("test")
        .values_list("safety_level", "safety_level_on")
        .get(pk=household.pk)
    )


def _state(household, level, on, source="closeout"):
    return SafetyState.objects.create(household=household, level=level, on=on, source=source)


def test_the_level_is_the_newest_state_whatever_writes_it(county_reviewer, areas):
    household = HouseholdFactory(village=areas["village"])
    assert _level(household) == (None, None)
    appraisal = AppraisalFactory(
        household=household, level="D", appraised_on=dt.date(2026, 3, 1), created_by=county_reviewer
    )
    assert _level(household) == ("D", dt.date(2026, 3, 1))
    safe = _state(household, "safe", dt.date(2026, 9, 1))
    assert _level(household) == ("safe", dt.date(2026, 9, 1))
    # A state dated earlier, recorded later, is history: the newest by date stays current.
    _state(household, "C", dt.date(2026, 5, 1), source="historic")
    assert _level(household) == ("safe", dt.date(2026, 9, 1))
    # Raw SQL as well as the ORM.
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE inspections_safetystate SET "on" = %s WHERE id = %s',
            [dt.date(2026, 2, 1), safe.pk],
        )
    assert _level(household) == ("C", dt.date(2026, 5, 1))
    SafetyState.objects.unscoped("test").filter(household=household).exclude(
        appraisal=appraisal
    ).delete()
    assert _level(household) == ("D", dt.date(2026, 3, 1))
    # An appraisal moved to another household moves its state: both are recomputed.
    other = HouseholdFactory(village=areas["village"])
    appraisal.__class__.objects.unscoped("test").filter(pk=appraisal.pk).update(household=other)
    assert _level(household) == (None, None)
    assert _level(other) == ("D", dt.date(2026, 3, 1))


def test_no_other_write_sets_the_level(county_reviewer, areas):
    household = HouseholdFactory(village=areas["village"])
    AppraisalFactory(
        household=household, level="C", appraised_on=dt.date(2026, 3, 1), created_by=county_reviewer
    )
    Household.objects.unscoped("test").filter(pk=household.pk).update(
        safety_level="A", safety_level_on=dt.date(2026, 4, 1)
    )
    assert _level(household) == ("C", dt.date(2026, 3, 1))
    # A stale instance saved after the appraisal does not write its old (empty) level back.
    household.phone = "13800000000"
    household.save()
    assert _level(household) == ("C", dt.date(2026, 3, 1))
    created = Household.objects.create(
        village=areas["village"],
        head_name="新户",
        id_number="110101199003070011",
        family_size=2,
        category="dibao",
        safety_level="A",
    )
    assert _level(created) == (None, None)


def test_a_level_change_is_no_household_event(county_reviewer, household):
    before = HouseholdEvent.objects.filter(pgh_obj=household).count()
    AppraisalFactory(
        household=household, level="D", appraised_on=dt.date(2026, 3, 1), created_by=county_reviewer
    )
    assert HouseholdEvent.objects.filter(pgh_obj=household).count() == before


def test_the_ledger_reads_the_column_not_a_subquery(county_reviewer, areas):
    dangerous = HouseholdFactory(village=areas["village"])
    AppraisalFactory(
        household=dangerous, level="D", appraised_on=dt.date(2026, 3, 1), created_by=county_reviewer
    )
    HouseholdFactory(village=areas["village"])
    qs = selectors.ledger(county_reviewer)
    assert [h.pk for h in qs] == [dangerous.pk]
    sql = str(qs.query)
    assert '"households_household"."safety_level" IN' in sql
    assert "inspections_safetystate" not in sql.split("WHERE", 1)[1].split("ORDER BY")[0]
