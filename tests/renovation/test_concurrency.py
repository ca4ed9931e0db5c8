"""Two users acting on the same project at once, on two real PostgreSQL connections."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from core.errors import ConflictError, DomainError
from households.models import Household
from renovation import services
from renovation.models import Objection, ProjectStatus, RenovationMethod, RenovationProject
from tests.renovation.factories import make_project
from tests.row_lock import answers_at_once, row_held

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target, *args):
    result = {}

    def run():
        try:
            result["value"] = target(*args)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_second_approver_gets_a_conflict_while_the_first_holds_the_project(
    household, county_approver
):
    project = make_project(household, ProjectStatus.PUBLICITY)
    locked, release = threading.Event(), threading.Event()

    def first_user_holds_the_row():
        with transaction.atomic():
            RenovationProject.objects.select_for_update().get(pk=project.pk)
            locked.set()
            release.wait(10)

    holder, _ = _in_thread(first_user_holds_the_row)
    assert locked.wait(10)
    second, outcome = _in_thread(
        lambda: services.project_approve(project=project, by=county_approver)
    )
    second.join(10)
    release.set()
    holder.join(10)
    assert isinstance(outcome.get("error"), ConflictError)
    assert str(outcome["error"]) == "其他用户正在处理该项目，请稍后再试。"
    assert RenovationProject.objects.get(pk=project.pk).status == ProjectStatus.PUBLICITY


def test_two_simultaneous_approvals_apply_once(household, county_approver):
    project = make_project(household, ProjectStatus.PUBLICITY)
    start = threading.Barrier(2)

    def approve():
        start.wait(5)
        return services.project_approve(project=project, by=county_approver)

    runs = [_in_thread(approve) for _ in range(2)]
    for thread, _ in runs:
        thread.join(20)
    outcomes = [result for _, result in runs]
    winners = [r for r in outcomes if "value" in r]
    losers = [r["error"] for r in outcomes if "error" in r]
    assert len(winners) == 1 and len(losers) == 1
    # The loser either found the row locked or found it already approved: never twice.
    assert isinstance(losers[0], DomainError)
    project.refresh_from_db()
    assert project.status == ProjectStatus.APPROVED
    assert project.version == 2


def test_api_answers_409_while_another_user_holds_the_project(household, county_approver):
    from rest_framework.test import APIClient

    project = make_project(household, ProjectStatus.PUBLICITY)
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            RenovationProject.objects.select_for_update().get(pk=project.pk)
            locked.set()
            release.wait(10)

    holder, _ = _in_thread(hold)
    assert locked.wait(10)
    client = APIClient()
    client.force_authenticate(county_approver)
    try:
        response = client.post(f"/api/renovation-projects/{project.pk}/approve/")
    finally:
        release.set()
        holder.join(10)
    assert response.status_code == 409
    assert response.json()["detail"] == "其他用户正在处理该项目，请稍后再试。"
    assert RenovationProject.objects.get(pk=project.pk).status == ProjectStatus.PUBLICITY


def test_resolving_an_objection_another_user_holds_is_a_conflict_at_once(
    household, county_reviewer, village_clerk
):
    project = make_project(household, ProjectStatus.PUBLICITY)
    objection = Objection.objects.create(
        publicity=project.publicities.get(level="village"),
        raised_on=dt.date(2026, 3, 3),
        content="有楼房",
        recorded_by=village_clerk,
    )
    with row_held(Objection, objection.pk), answers_at_once(), pytest.raises(ConflictError):
        services.objection_resolve(
            objection=objection,
            by=county_reviewer,
            resolution="经核实不属实",
            resolved_on=dt.date(2026, 3, 4),
            today=dt.date(2026, 3, 5),
        )
    assert Objection.objects.unscoped("test").get(pk=objection.pk).resolved_on is None


def test_applying_for_a_household_another_user_holds_is_a_conflict_at_once(
    household, township_user
):
    with row_held(Household, household.pk), answers_at_once(), pytest.raises(ConflictError):
        services.project_apply(
            household=household,
            by=township_user,
            year=2026,
            applied_on=dt.date(2026, 3, 1),
            method=RenovationMethod.values[0],
            today=dt.date(2026, 3, 5),
        )
    assert not RenovationProject.objects.unscoped("test").filter(household=household).exists()
