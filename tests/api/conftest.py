"""Data and signed-in roles for the schema-wide API tests.

Each app contributes a few objects in both townships, so that detail operations find real
rows (and another township's rows, which must be a 404) instead of only random ids.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from knox.models import AuthToken
from rest_framework.test import APIClient

from households.models import Department
from inspections.services import department_list_create
from subsidies.models import BatchStatus
from tests.factories import HouseholdFactory
from tests.inspections.factories import (
    AppraisalFactory,
    CampaignFactory,
    EmergencyMeasureFactory,
    HazardReportFactory,
    InspectionFactory,
)
from tests.rectification.factories import CampaignFactory as RectificationCampaignFactory
from tests.rectification.factories import ComplaintFactory, ItemFactory
from tests.renovation.factories import S, make_project
from tests.subsidies.factories import accepted_project, batch

ROLES = ["county_reviewer", "township_user", "official"]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Schemathesis calls the WSGI app itself, whose request signals close "old" database
    connections, and with them the test's transaction. Django's test client turns them off
    for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(areas, county_reviewer, township_user, official):
    """A household in each township and village with an appraisal, projects, items, a batch."""
    by = county_reviewer
    mine = HouseholdFactory(village=areas["village"], head_name="张三")
    neighbour = HouseholdFactory(village=areas["village2"], head_name="王五")
    other = HouseholdFactory(village=areas["other_village"], head_name="李四")
    for household, level in ((mine, "D"), (neighbour, "C"), (other, "D")):
        AppraisalFactory(household=household, level=level, created_by=by)
        InspectionFactory(household=household, inspector=by)
        HazardReportFactory(household=household, reporter=by)
        EmergencyMeasureFactory(household=household, created_by=by)
    CampaignFactory(areas=[areas["township"], areas["other_township"]], created_by=by)
    department_list_create(
        by=by,
        department=next(iter(Department)).value,
        received_on=dt.date(2026, 11, 2),
        households=[mine, other],
    )
    make_project(neighbour, S.APPLIED)
    make_project(other, S.TOWNSHIP_REVIEWED)
    accepted_project(mine, accepted_on=dt.date(2026, 11, 25))
    batch(by, status=BatchStatus.DRAFTED)
    RectificationCampaignFactory(area=areas["county"], created_by=by)
    for area in (areas["township"], areas["other_township"], areas["county"]):
        ItemFactory(area=area, created_by=by)
    for area in (areas["township"], areas["other_township"]):
        ComplaintFactory(area=area, created_by=by)
    return {"households": [mine, neighbour, other]}


@pytest.fixture
def role_user(request):
    """The user of the role under test: parametrize indirectly with a fixture name of ROLES."""
    return request.getfixturevalue(request.param)


def token_header(user) -> dict[str, str]:
    _, token = AuthToken.objects.create(user=user)
    return {"Authorization": f"Token {token}"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token_header(user)["Authorization"])
    return client
