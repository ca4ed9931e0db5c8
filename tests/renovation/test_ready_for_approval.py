"""Which projects the approver may approve today: the query agrees with the service's rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from renovation.models import Objection, ProjectStatus, RenovationProject
from renovation.selectors import ready_for_approval
from renovation.services import approval_blockers
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

S = ProjectStatus
pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 5, 20)  # tests/renovation/conftest.py freezes this day


@pytest.fixture
def projects(areas, village_clerk):
    def new(name, status=S.PUBLICITY):
        return make_project(HouseholdFactory(village=areas["village"], head_name=name), status)

    ready = new("钱一")
    county_today = new("孙二")
    county_today.publicities.filter(level="county").update(ends_on=TODAY)
    objected = new("李三")
    Objection.objects.create(
        publicity=objected.publicities.get(level="village"),
        raised_on=dt.date(2026, 3, 3),
        content="有楼房",
        recorded_by=village_clerk,
    )
    resolved = new("周四")
    Objection.objects.create(
        publicity=resolved.publicities.get(level="township"),
        raised_on=dt.date(2026, 3, 9),
        content="有楼房",
        resolution="经核实不属实",
        resolved_on=dt.date(2026, 3, 12),
        recorded_by=village_clerk,
    )
    missing = new("吴五")
    missing.publicities.filter(level="county").delete()
    approved = new("郑六", S.APPROVED)
    return {"ready": ready, "resolved": resolved}, [county_today, objected, missing, approved]


def test_ready_for_approval_is_exactly_the_projects_without_blockers(projects):
    ready, not_ready = projects
    found = set(ready_for_approval(RenovationProject.objects.all()))
    assert found == set(ready.values())
    for project in RenovationProject.objects.all():
        assert (project in found) == (
            project.status == S.PUBLICITY and not approval_blockers(project)
        )


def test_project_list_filters_the_ready_ones(
    client, projects, county_approver, other_township_user
):
    client.force_login(county_approver)
    page = client.get(reverse("renovation:list"), {"status": "publicity", "ready": "yes"})
    text = page.content.decode()
    assert "钱一" in text and "周四" in text
    assert "孙二" not in text and "李三" not in text and "吴五" not in text
    client.force_login(other_township_user)
    text = client.get(reverse("renovation:list"), {"ready": "yes"}).content.decode()
    assert "钱一" not in text
