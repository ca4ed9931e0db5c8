import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from core.workdays import add_working_days
from inspections import selectors, services
from inspections.models import Holiday
from tests.inspections.factories import AppraisalFactory

FRIDAY = dt.date(2026, 11, 6)


def test_five_working_days_from_a_friday_is_the_next_friday():
    assert add_working_days(FRIDAY, 5, holidays=set()) == dt.date(2026, 11, 13)


def test_a_wednesday_holiday_moves_the_deadline_to_the_monday_after():
    holidays = {dt.date(2026, 11, 11)}
    assert add_working_days(FRIDAY, 5, holidays=holidays) == dt.date(2026, 11, 16)


def test_make_up_working_saturday_counts():
    # National Day 2026: Oct 1-7 off, Saturday Oct 10 worked (调休).
    holidays = {dt.date(2026, 10, d) for d in range(1, 8)}
    extra = {dt.date(2026, 10, 10)}
    assert add_working_days(dt.date(2026, 9, 30), 5, holidays, extra) == dt.date(2026, 10, 13)
    assert add_working_days(dt.date(2026, 9, 30), 5, holidays) == dt.date(2026, 10, 14)


def test_negative_days_refused():
    with pytest.raises(ValueError):
        add_working_days(FRIDAY, -1, set())


def _list(county_reviewer, household, received_on):
    return services.department_list_create(
        by=county_reviewer, department="minzheng", received_on=received_on, households=[household]
    )


def test_department_list_sets_due_date_from_holiday_table(db, county_reviewer, household):
    Holiday.objects.create(date=dt.date(2026, 11, 11), name="测试假日")
    department_list = _list(county_reviewer, household, FRIDAY)
    assert department_list.entries.get().appraisal_due == dt.date(2026, 11, 16)


def test_department_list_due_is_next_friday_without_holidays(db, county_reviewer, household):
    department_list = _list(county_reviewer, household, FRIDAY)
    assert department_list.entries.get().appraisal_due == dt.date(2026, 11, 13)


def test_overdue_only_after_the_due_day(db, county_reviewer, household):
    _list(county_reviewer, household, FRIDAY)  # due Friday 13 Nov
    with time_machine.travel(dt.date(2026, 11, 13), tick=False):
        row = selectors.household_overview(county_reviewer).get(pk=household.pk)
        assert row.overdue is False
    with time_machine.travel(dt.date(2026, 11, 14), tick=False):
        row = selectors.household_overview(county_reviewer).get(pk=household.pk)
        assert row.overdue is True


def test_appraisal_in_time_clears_overdue(db, county_reviewer, household):
    _list(county_reviewer, household, FRIDAY)
    AppraisalFactory(
        household=household, appraised_on=dt.date(2026, 11, 12), created_by=county_reviewer
    )
    row = selectors.household_overview(county_reviewer).get(pk=household.pk)
    assert row.overdue is False


def test_late_appraisal_stays_flagged_on_ledger_and_api(
    db, county_reviewer, household, client, api_client
):
    _list(county_reviewer, household, FRIDAY)
    AppraisalFactory(
        household=household,
        level="D",
        appraised_on=dt.date(2026, 11, 20),
        created_by=county_reviewer,
    )
    client.force_login(county_reviewer)
    page = client.get(reverse("inspections:ledger"), {"overdue": "true"}).content.decode()
    assert "张三" in page and "鉴定超期" in page
    assert (
        "张三"
        not in client.get(reverse("inspections:ledger"), {"overdue": "false"}).content.decode()
    )
    api_client.force_authenticate(county_reviewer)
    data = api_client.get("/api/ledger/", {"overdue": "true"}).json()
    assert [r["head_name"] for r in data["results"]] == ["张三"]
    assert data["results"][0]["overdue"] is True


def test_pending_list_shows_unappraised_with_overdue_flag(db, county_reviewer, household, client):
    _list(county_reviewer, household, FRIDAY)  # due 13 Nov; today is 23 Nov
    client.force_login(county_reviewer)
    page = client.get(reverse("inspections:pending")).content.decode()
    assert "张三" in page and "2026-11-13" in page and "已超期" in page
    AppraisalFactory(
        household=household, appraised_on=dt.date(2026, 11, 20), created_by=county_reviewer
    )
    assert "张三" not in client.get(reverse("inspections:pending")).content.decode()


def test_department_list_api_creates_entries_with_due_dates(
    db, county_reviewer, household, api_client
):
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(
        "/api/department-lists/",
        {"department": "minzheng", "received_on": "2026-11-06", "households": [household.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["entries"] == [
        {"household": household.pk, "appraisal_due": "2026-11-13"}
    ]


def test_department_list_roles_and_area(
    db, township_user, village_clerk, household, other_household
):
    from core.errors import DomainError

    # A township registers a list for its own households (e.g. through an import) ...
    services.department_list_create(
        by=township_user, department="minzheng", received_on=FRIDAY, households=[household]
    )
    # ... but not for another township's, and a village clerk not at all.
    with pytest.raises(DomainError, match="不在您的管辖区划内"):
        services.department_list_create(
            by=township_user,
            department="minzheng",
            received_on=FRIDAY,
            households=[other_household],
        )
    with pytest.raises(DomainError, match="您的角色无权登记部门名单"):
        services.department_list_create(
            by=village_clerk, department="minzheng", received_on=FRIDAY, households=[household]
        )


def test_department_list_checks_scope_with_a_count_not_instances(db, county_reviewer, areas):
    """A list of many households: the scope check counts, it never loads (and decrypts)
    the households; the entries are written in batches (issue 18 point 4)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import HouseholdFactory

    households = HouseholdFactory.create_batch(30, village=areas["village"])
    with CaptureQueriesContext(connection) as ctx:
        department_list = _list_many(county_reviewer, households)
    assert department_list.entries.count() == 30
    household_reads = [
        q["sql"] for q in ctx.captured_queries if 'FROM "households_household"' in q["sql"]
    ]
    assert household_reads and all("COUNT(" in sql for sql in household_reads)
    assert not any('"id_number"' in q["sql"] for q in ctx.captured_queries)


def _list_many(by, households):
    return services.department_list_create(
        by=by, department="minzheng", received_on=FRIDAY, households=households
    )
