"""Issue 15 point 6: move-in after acceptance; the old house is counted from the move-in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.errors import DomainError
from rectification.selfcheck import moved_in_before_acceptance, old_house_not_demolished
from renovation import services
from renovation.models import ProjectStatus, RenovationProject
from reports.deadlines import not_demolished
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus
TODAY = dt.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 12, 10, 10, 0), tick=False):
        yield


def accepted(household, days_ago):
    on = TODAY - dt.timedelta(days=days_ago)
    return make_project(
        household, S.ACCEPTED, accepted_on=on, completed_on=on - dt.timedelta(days=3)
    )


def test_move_in_after_acceptance_only(household, township_user):
    project = accepted(household, 30)
    with pytest.raises(DomainError, match="入住日期不能早于竣工验收日期"):
        services.project_move_in(
            project=project,
            by=township_user,
            moved_in_on=project.accepted_on - dt.timedelta(days=1),
            today=TODAY,
        )
    services.project_move_in(
        project=project, by=township_user, moved_in_on=project.accepted_on, today=TODAY
    )
    with pytest.raises(DomainError, match="已于"):
        services.project_move_in(project=project, by=township_user, moved_in_on=TODAY, today=TODAY)
    not_accepted = make_project(HouseholdFactory(village=household.village), S.COMPLETED)
    with pytest.raises(DomainError, match="不能登记入住"):
        services.project_move_in(
            project=not_accepted, by=township_user, moved_in_on=TODAY, today=TODAY
        )


def test_the_old_house_is_counted_from_the_move_in(areas, township_user, settings):
    settings.ANJU_SELFCHECK_NOT_DEMOLISHED_DAYS = 90
    settings.ANJU_DEMOLITION_GRACE_DAYS = 90
    late = accepted(HouseholdFactory(village=areas["village"], head_name="迟拆"), 200)
    services.project_move_in(
        project=late,
        by=township_user,
        moved_in_on=TODAY - dt.timedelta(days=91),
        today=TODAY,
    )
    recent = accepted(HouseholdFactory(village=areas["village"], head_name="新入住"), 91)
    services.project_move_in(
        project=recent,
        by=township_user,
        moved_in_on=TODAY - dt.timedelta(days=10),
        today=TODAY,
    )
    prefix = areas["county"].code[:6]
    found = {f.household_ids[0] for f in old_house_not_demolished(prefix, TODAY)}
    assert late.household_id in found and recent.household_id not in found
    alerts = {o.object_key for o in not_demolished(TODAY)}
    assert f"renovation.project:{late.pk}" in alerts
    assert f"renovation.project:{recent.pk}" not in alerts


def test_moved_in_before_acceptance_is_found(areas):
    project = accepted(HouseholdFactory(village=areas["village"]), 20)
    RenovationProject.objects.filter(pk=project.pk).update(
        moved_in_on=project.accepted_on - dt.timedelta(days=5)
    )
    findings = moved_in_before_acceptance(areas["county"].code[:6], TODAY)
    assert [f.household_ids for f in findings] == [[project.household_id]]
    assert "入住" in findings[0].message


def test_move_in_over_the_api_and_the_page(client, api_client, household, village_clerk):
    project = accepted(household, 5)
    api_client.force_authenticate(village_clerk)
    url = f"/api/renovation-projects/{project.pk}/move-in/"
    response = api_client.post(url, {"moved_in_on": "2026-01-01"}, format="json")
    assert response.status_code == 400
    response = api_client.post(url, {"moved_in_on": str(TODAY)}, format="json")
    assert response.status_code == 200 and response.json()["moved_in_on"] == str(TODAY)
    client.force_login(village_clerk)
    assert "入住" in client.get(f"/renovation/{project.pk}/").content.decode()
