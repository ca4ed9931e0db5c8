"""The step table walked for every status × role × method: button ⇔ page ⇔ API.

For each project state and each role of its area: the project page shows a step's button
exactly when the step's page takes a POST (not a 403, not sent back with a refusal) and
exactly when the API's step endpoint does not refuse it for role (403) or status (409).
Each request runs in a savepoint that is rolled back, so one project serves the whole case.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.contrib.messages import constants, get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from renovation.models import ENDED, Demolition, ProjectStatus
from renovation.steps import STEPS, allowed_actions
from tests.factories import HouseholdFactory, UserFactory
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project

ROLE_AREAS = {
    Role.COUNTY_REVIEWER: "county",
    Role.COUNTY_APPROVER: "county",
    Role.TOWNSHIP_STAFF: "township",
    Role.VILLAGE_CLERK: "village",
    Role.OFFICIAL: "county",
}


class _Undo(Exception):
    pass


@contextlib.contextmanager
def _undone():
    with contextlib.suppress(_Undo), transaction.atomic():
        yield
        raise _Undo


def _page_takes(client: Client, project, name: str) -> bool:
    client.cookies.pop("messages", None)  # only this request's messages count
    with _undone():
        response = client.post(reverse("renovation:step", args=[project.pk, name]), {})
        if response.status_code == 403:
            return False
        if response.status_code == 302:
            levels = {m.level for m in get_messages(response.wsgi_request)}
            return constants.ERROR not in levels
        assert response.status_code == 200, (name, response.status_code)
        return True


def _api_takes(api: APIClient, project, name: str) -> bool:
    with _undone():
        url = f"/api/renovation-projects/{project.pk}/{name.replace('_', '-')}/"
        response = api.post(url, {}, format="json")
        assert response.status_code < 500, (name, response.status_code)
        return response.status_code not in (403, 409)


def _button_names(client: Client, project) -> set[str]:
    html = client.get(project.get_absolute_url()).content.decode()
    return {name for name in STEPS if f'id="step-{name}"' in html}


def _walk(areas, project) -> None:
    mismatches = []
    for role, where in ROLE_AREAS.items():
        user = UserFactory(username=f"walk_{role}", role=role, area=areas[where])
        page, api = Client(), APIClient()
        page.force_login(user)
        api.force_authenticate(user)
        buttons = _button_names(page, project)
        assert buttons == {s.name for s in allowed_actions(project, user)}, role
        for name, step in STEPS.items():
            shown = name in buttons
            takes = _page_takes(page, project, name)
            verdicts = {"button": shown, "page": takes}
            if step.api_action:
                verdicts["api"] = _api_takes(api, project, name)
            if len(set(verdicts.values())) != 1:
                mismatches.append((project.status, project.method, role, name, verdicts))
    assert not mismatches, mismatches


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(ProjectStatus))
@pytest.mark.parametrize("level", ["D", "C"], ids=["rebuild", "repair"])
def test_page_and_api_agree_with_the_buttons(areas, status, level):
    household = HouseholdFactory(village=areas["village"], family_size=3)
    extra = {"end_reason": "农户放弃", "ended_on": dt.date(2026, 2, 2)} if status in ENDED else {}
    project = make_project(household, status, level=level, **extra)
    _walk(areas, project)


@pytest.mark.django_db
def test_a_recorded_demolition_closes_the_step_everywhere(areas, county_reviewer):
    project = make_project(HouseholdFactory(village=areas["village"]), ProjectStatus.ACCEPTED)
    Demolition.objects.create(
        project=project,
        demolished_on=dt.date(2026, 5, 12),
        photo=upload("d.jpg", jpeg_bytes(), "image/jpeg"),
        content_type="image/jpeg",
        recorded_by=county_reviewer,
    )
    page, api = Client(), APIClient()
    page.force_login(county_reviewer)
    api.force_authenticate(county_reviewer)
    assert "demolition" not in _button_names(page, project)
    response = page.post(reverse("renovation:step", args=[project.pk, "demolition"]), {})
    assert response.status_code == 302
    assert "该项目已登记旧房拆除" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    response = api.post(f"/api/renovation-projects/{project.pk}/demolition/", {}, format="json")
    assert response.status_code == 409 and "该项目已登记旧房拆除" in response.json()["detail"]
