"""Issue 15 point 7: an acceptance can fail, is recorded, and the project goes back to
construction; the four parties of document 003 are checked, not free text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import DomainError
from renovation import services
from renovation.archive import build_archive
from renovation.models import FailedAcceptance, ProjectStatus
from tests.inspections.factories import pdf_bytes, upload
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus
FOUR = ["township", "village", "household", "builder"]


def fail(project, by, **overrides):
    values = {
        "project": project,
        "by": by,
        "inspected_on": project.completed_on + dt.timedelta(days=2),
        "parties": FOUR,
        "participants": "乡镇李某、村王某、农户张三、工匠王师傅",
        "reasons": "屋面漏水，墙体裂缝",
        "to_fix": "重做屋面防水，修补裂缝",
        **overrides,
    }
    return services.project_accept_failed(**values)


def test_a_failed_acceptance_is_recorded_and_the_project_returns_to_construction(
    household, township_user, county_reviewer
):
    project = make_project(household, S.COMPLETED)
    with pytest.raises(DomainError, match="缺少：农户、工匠或施工方"):
        fail(project, township_user, parties=["township", "village"])
    record = fail(project, township_user)
    project.refresh_from_db()
    assert project.status == S.UNDER_CONSTRUCTION and project.completed_on is None
    assert record.reasons == "屋面漏水，墙体裂缝"

    # Completed and accepted again later; the archive lists the failed attempt.
    again = record.inspected_on + dt.timedelta(days=3)
    services.construction_complete(project=project, by=township_user, completed_on=again)
    services.project_accept(
        project=project,
        by=township_user,
        accepted_on=again + dt.timedelta(days=1),
        parties=FOUR,
        participants="乡镇、村、农户、工匠",
        evaluation_passed=True,
        evaluation_form=upload("eval.pdf", pdf_bytes(), "application/pdf"),
        built_area=Decimal("60"),
        today=again + dt.timedelta(days=1),
    )
    archive = build_archive(household, county_reviewer)
    labels = [i.label for i in archive.projects[0].items]
    assert "竣工验收未通过记录" in labels and "竣工验收及基本安全评定表" in labels


def test_acceptance_needs_all_four_parties(household, township_user):
    project = make_project(household, S.COMPLETED)
    with pytest.raises(DomainError, match="缺少：工匠或施工方"):
        services.project_accept(
            project=project,
            by=township_user,
            accepted_on=project.completed_on + dt.timedelta(days=1),
            parties=["township", "village", "household"],
            participants="乡镇、村、农户",
            evaluation_passed=True,
            evaluation_form=upload("eval.pdf", pdf_bytes(), "application/pdf"),
            built_area=Decimal("60"),
        )


def test_failed_acceptance_over_the_api_and_page(client, api_client, household, township_user):
    project = make_project(household, S.COMPLETED)
    api_client.force_authenticate(township_user)
    url = f"/api/renovation-projects/{project.pk}/accept-failed/"
    body = {
        "inspected_on": str(project.completed_on + dt.timedelta(days=1)),
        "participants": "乡镇、村、农户、工匠",
        "reasons": "门窗未安装",
        "to_fix": "安装门窗",
    }
    response = api_client.post(url, {**body, "parties": ["township"]}, format="json")
    assert response.status_code == 400 and "缺少" in response.json()["detail"]
    response = api_client.post(url, {**body, "parties": FOUR}, format="json")
    assert response.status_code == 200 and response.json()["status"] == S.UNDER_CONSTRUCTION
    client.force_login(township_user)
    page = client.get(f"/renovation/{project.pk}/").content.decode()
    assert "验收未通过" in page and "门窗未安装" in page
    assert FailedAcceptance.objects.count() == 1
