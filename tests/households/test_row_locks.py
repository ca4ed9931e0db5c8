"""A household another user is saving right now: the edit is refused at once (NOWAIT)."""

from __future__ import annotations

import pytest

from core.errors import ConflictError
from households import services
from households.models import Household
from tests.row_lock import answers_at_once, row_held

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_edit_of_a_held_household_is_a_conflict_at_once(household, county_reviewer):
    with row_held(Household, household.pk), answers_at_once(), pytest.raises(ConflictError):
        services.household_update(household=household, by=county_reviewer, phone="13800000001")
    assert Household.objects.unscoped("test").get(pk=household.pk).phone != "13800000001"


def test_a_held_household_is_not_deleted(household, county_reviewer):
    with row_held(Household, household.pk), answers_at_once(), pytest.raises(ConflictError):
        services.household_delete(household=household, by=county_reviewer)
    assert Household.objects.unscoped("test").filter(pk=household.pk).exists()
