from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from core.audit import acting_as
from households.models import Household, HouseholdEvent
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def test_api_edit_with_token_records_acting_user(api_client, township_user, household):
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=township_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.patch(
        f"/api/households/{household.pk}/", {"phone": "13500000135"}, format="json"
    )
    assert response.status_code == 200
    event = HouseholdEvent.objects.filter(pgh_obj=household, pgh_label="update").get()
    assert event.pgh_context["user"] == township_user.pk
    assert event.phone == "13500000135"


def test_bulk_update_and_raw_sql_are_audited(areas, county_reviewer):
    households = HouseholdFactory.create_batch(3, village=areas["village"])
    with acting_as(county_reviewer):
        Household.objects.filter(pk__in=[h.pk for h in households]).update(phone="110")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE households_household SET address = 'raw' WHERE id = %s", [households[0].pk]
            )
    updates = HouseholdEvent.objects.filter(pgh_label="update")
    assert updates.count() == 4
    assert {e.pgh_context["user"] for e in updates} == {county_reviewer.pk}


def test_nested_acting_as_keeps_each_events_own_user(household, township_user, county_reviewer):
    """A command acting for several users in turn: every event names the user who made it,
    and the command's own context is unchanged afterwards."""

    def phone_event(phone):
        return HouseholdEvent.objects.get(pgh_obj=household, pgh_label="update", phone=phone)

    with acting_as(None, command="demo"):
        Household.objects.filter(pk=household.pk).update(phone="1")
        with acting_as(township_user):
            Household.objects.filter(pk=household.pk).update(phone="2")
        with acting_as(county_reviewer, step="x"):
            Household.objects.filter(pk=household.pk).update(phone="3")
        with acting_as(None, command="demo"):  # the same metadata: the same context
            Household.objects.filter(pk=household.pk).update(phone="4")
        Household.objects.filter(pk=household.pk).update(phone="5")
    assert phone_event("1").pgh_context == {"user": None, "command": "demo"}
    assert phone_event("2").pgh_context["user"] == township_user.pk
    assert phone_event("3").pgh_context == {
        "user": county_reviewer.pk,
        "command": "demo",
        "step": "x",
    }
    assert phone_event("4").pgh_context_id == phone_event("1").pgh_context_id
    assert phone_event("5").pgh_context == {"user": None, "command": "demo"}


def test_delete_is_audited(household):
    pk = household.pk
    household.delete()
    assert HouseholdEvent.objects.filter(pgh_obj_id=pk, pgh_label="delete").count() == 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE households_householdevent SET head_name = 'forged'",
        "DELETE FROM households_householdevent",
    ],
)
def test_audit_table_refuses_update_and_delete(household, sql):
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert HouseholdEvent.objects.filter(pgh_obj=household).exists()


def test_audit_rows_hold_no_plaintext_id(household):
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM households_householdevent e")
        rows = [r[0] for r in cursor.fetchall()]
    assert rows
    assert all(household.id_number not in row for row in rows)
    assert all(household.bank_account not in row for row in rows)


def test_services_attribute_changes_to_by_outside_a_request(household, village_clerk, areas):
    """Called from a command, a task or the shell (no request, no acting_as), a service
    still records who acted: every app's services take `by` and say so in the history."""
    import datetime as dt

    from pghistory.models import Events

    from inspections import services as inspections

    report = inspections.hazard_report_create(
        household=household,
        by=village_clerk,
        description="墙体开裂",
        reported_on=dt.date(2026, 11, 20),
        today=dt.date(2026, 11, 30),
    )
    [event] = Events.objects.references(report).filter(pgh_label="insert")
    assert event.pgh_context["user"] == village_clerk.pk


def test_a_nested_block_does_not_rewrite_the_events_before_it(household, township_user):
    """Each event keeps the metadata of the moment it was written: an inner block acting for
    someone else, even one that sets the same keys, leaves the earlier events of the request
    as they were (with one shared context table row they were rewritten)."""
    with acting_as(None, command="demo"):
        Household.objects.filter(pk=household.pk).update(phone="1")
        with acting_as(township_user, command="inner"):
            Household.objects.filter(pk=household.pk).update(phone="2")
    first, second = HouseholdEvent.objects.filter(pgh_label="update").order_by("pgh_id")
    assert first.pgh_context == {"user": None, "command": "demo"}
    assert second.pgh_context == {"user": township_user.pk, "command": "inner"}
    assert first.pgh_context_id == second.pgh_context_id  # still one group
