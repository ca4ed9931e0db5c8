"""Self-check rules: seeded patterns found with the right households, clean data gives nothing,
runs are idempotent, dismissed findings stay dismissed until their data changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from core.errors import DomainError
from inspections.models import DepartmentList, DepartmentListEntry
from rectification import selfcheck, services
from rectification.models import (
    FindingStatus,
    ItemStatus,
    RectificationItem,
    SelfCheckFinding,
    Source,
)
from tests.factories import HouseholdFactory
from tests.inspections.factories import AppraisalFactory, InspectionFactory

pytestmark = pytest.mark.django_db


def _open(rule):
    return SelfCheckFinding.objects.filter(rule=rule, status=FindingStatus.OPEN)


def _household_ids(rule):
    return sorted(h for f in _open(rule) for h in f.households.values_list("pk", flat=True))


# --- D house still lived in ---------------------------------------------------------------


@pytest.fixture
def d_occupied(household, other_household, county_reviewer):
    AppraisalFactory(
        household=household, level="D", appraised_on=dt.date(2026, 8, 1), created_by=county_reviewer
    )
    InspectionFactory(
        household=household,
        occupied=True,
        inspected_on=dt.date(2026, 10, 1),
        inspector=county_reviewer,
    )
    # Another D house whose family has moved out: not a finding.
    AppraisalFactory(household=other_household, level="D", created_by=county_reviewer)
    InspectionFactory(household=other_household, occupied=False, inspector=county_reviewer)
    return household


def test_d_house_occupied_found(d_occupied):
    selfcheck.run(rules=["d_house_occupied"])
    assert _household_ids("d_house_occupied") == [d_occupied.pk]
    assert "张三" in _open("d_house_occupied").get().message


def test_d_house_clean_data_finds_nothing(household, county_reviewer):
    AppraisalFactory(household=household, level="D", created_by=county_reviewer)
    InspectionFactory(household=household, occupied=False, inspector=county_reviewer)
    AppraisalFactory(level="B", household__village=household.village, created_by=county_reviewer)
    selfcheck.run(rules=["d_house_occupied"])
    assert not _open("d_house_occupied").exists()


def test_run_twice_no_duplicate(d_occupied):
    selfcheck.run(rules=["d_house_occupied"])
    second = selfcheck.run(rules=["d_house_occupied"])
    assert _open("d_house_occupied").count() == 1
    assert second.created == 0 and second.unchanged == 1


def test_dismissed_stays_dismissed_until_data_changes(d_occupied, county_reviewer):
    selfcheck.run(rules=["d_house_occupied"])
    finding = _open("d_house_occupied").get()
    services.finding_dismiss(finding=finding, by=county_reviewer, reason="已劝离，排查记录有误")
    selfcheck.run(rules=["d_house_occupied"])
    assert not _open("d_house_occupied").exists()
    # A new inspection still finds people living there: the data changed, the finding returns.
    InspectionFactory(
        household=d_occupied,
        occupied=True,
        inspected_on=dt.date(2026, 11, 20),
        inspector=county_reviewer,
    )
    selfcheck.run(rules=["d_house_occupied"])
    assert _household_ids("d_house_occupied") == [d_occupied.pk]


def test_resolved_when_family_moves_out(d_occupied, county_reviewer):
    selfcheck.run(rules=["d_house_occupied"])
    InspectionFactory(
        household=d_occupied,
        occupied=False,
        inspected_on=dt.date(2026, 11, 20),
        inspector=county_reviewer,
    )
    result = selfcheck.run(rules=["d_house_occupied"])
    assert result.resolved == 1
    assert SelfCheckFinding.objects.get().status == FindingStatus.RESOLVED


# --- new list not appraised within 5 working days ----------------------------------------


def _listed(households, received_on, due, by):
    dl = DepartmentList.objects.create(
        county_code="141124", department="minzheng", received_on=received_on, created_by=by
    )
    for h in households:
        DepartmentListEntry.objects.create(department_list=dl, household=h, appraisal_due=due)
    return dl


def test_new_list_not_appraised_found(areas, county_reviewer):
    late, on_time, pending = (HouseholdFactory(village=areas["village"]) for _ in range(3))
    _listed([late, on_time, pending], dt.date(2026, 11, 2), dt.date(2026, 11, 9), county_reviewer)
    AppraisalFactory(
        household=on_time, appraised_on=dt.date(2026, 11, 6), created_by=county_reviewer
    )
    AppraisalFactory(household=late, appraised_on=dt.date(2026, 11, 16), created_by=county_reviewer)
    selfcheck.run(rules=["new_list_not_appraised"])
    assert _household_ids("new_list_not_appraised") == sorted([late.pk, pending.pk])
    messages = " ".join(_open("new_list_not_appraised").values_list("message", flat=True))
    assert "至今未鉴定" in messages and "2026年11月16日才鉴定" in messages


def test_new_list_not_yet_due_is_clean(areas, county_reviewer):
    h = HouseholdFactory(village=areas["village"])
    _listed([h], dt.date(2026, 11, 19), dt.date(2026, 11, 26), county_reviewer)
    selfcheck.run(rules=["new_list_not_appraised"])
    assert not _open("new_list_not_appraised").exists()


# --- C/D not started N days after appraisal ----------------------------------------------


def test_cd_not_started_found_with_threshold(areas, county_reviewer, settings):
    settings.ANJU_SELFCHECK_NOT_STARTED_DAYS = 60
    old_c = HouseholdFactory(village=areas["village"])
    recent_d = HouseholdFactory(village=areas["village"])
    old_b = HouseholdFactory(village=areas["village"])
    AppraisalFactory(
        household=old_c, level="C", appraised_on=dt.date(2026, 8, 1), created_by=county_reviewer
    )
    AppraisalFactory(
        household=recent_d, level="D", appraised_on=dt.date(2026, 11, 1), created_by=county_reviewer
    )
    AppraisalFactory(
        household=old_b, level="B", appraised_on=dt.date(2026, 1, 1), created_by=county_reviewer
    )
    selfcheck.run(rules=["cd_not_started"])
    assert _household_ids("cd_not_started") == [old_c.pk]
    assert "超过60天" in _open("cd_not_started").get().message


def test_cd_clean_data_finds_nothing(areas, county_reviewer):
    h = HouseholdFactory(village=areas["village"])
    AppraisalFactory(
        household=h, level="A", appraised_on=dt.date(2025, 1, 1), created_by=county_reviewer
    )
    selfcheck.run(rules=["cd_not_started"])
    assert not _open("cd_not_started").exists()


# --- conversion and scope -----------------------------------------------------------------


def test_convert_rule_into_one_item(areas, county_reviewer):
    a, b = (HouseholdFactory(village=areas["village"]) for _ in range(2))
    c = HouseholdFactory(village=areas["other_village"])
    for h in (a, b, c):
        AppraisalFactory(
            household=h, level="C", appraised_on=dt.date(2026, 1, 5), created_by=county_reviewer
        )
    services.selfcheck_run(by=county_reviewer)
    item = services.findings_convert(rule="cd_not_started", by=county_reviewer)
    assert item.source == Source.SELF_CHECK and item.status == ItemStatus.OPEN
    assert set(item.households.values_list("pk", flat=True)) == {a.pk, b.pk, c.pk}
    assert item.area == areas["county"]  # two townships: the county is the common area
    assert "系统自查发现3处" in item.findings
    assert not _open("cd_not_started").exists()
    # Converted findings do not come back while nothing changes.
    services.selfcheck_run(by=county_reviewer)
    assert not _open("cd_not_started").exists()


def test_dismiss_needs_reason_and_township_cannot(
    areas, county_reviewer, township_user, d_occupied
):
    selfcheck.run()
    finding = _open("d_house_occupied").get()
    with pytest.raises(DomainError, match="排除理由"):
        services.finding_dismiss(finding=finding, by=county_reviewer, reason=" ")
    with pytest.raises(DomainError, match="无权"):
        services.finding_dismiss(finding=finding, by=township_user, reason="x")


def test_management_command_is_idempotent(d_occupied, capsys):
    call_command("run_selfcheck")
    call_command("run_selfcheck")
    assert _open("d_house_occupied").count() == 1
    assert "自查完成" in capsys.readouterr().out


def test_convert_through_the_page_reads_households_in_scope(client, areas, county_reviewer):
    """The page runs under the scope guard: an unscoped read of the findings' households was a
    ScopeError (500), found by the junk-form walk."""
    from django.urls import reverse

    h = HouseholdFactory(village=areas["village"])
    AppraisalFactory(
        household=h, level="C", appraised_on=dt.date(2026, 1, 5), created_by=county_reviewer
    )
    services.selfcheck_run(by=county_reviewer)
    client.force_login(county_reviewer)
    response = client.post(
        reverse("rectification:findings_convert"), {"rule": "cd_not_started", "deadline": ""}
    )
    assert response.status_code == 302
    item = RectificationItem.objects.get()
    assert list(item.households.values_list("pk", flat=True)) == [h.pk]
