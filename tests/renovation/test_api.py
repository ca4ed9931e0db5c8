"""API: scoping, read-only officials, field-level authority, steps, batch approval, 409."""

from __future__ import annotations

import datetime as dt

import pytest

from renovation.models import ProjectStatus, Publicity, RenovationProject
from tests.factories import HouseholdFactory
from tests.inspections.factories import pdf_bytes, upload
from tests.renovation.factories import appraise, make_project

S = ProjectStatus
pytestmark = pytest.mark.django_db
BASE = "/api/renovation-projects/"


def test_anonymous_gets_401(api_client, household):
    project = make_project(household)
    assert api_client.get(BASE).status_code == 401
    assert api_client.get(f"{BASE}{project.pk}/").status_code == 401
    assert api_client.post(f"{BASE}{project.pk}/approve/").status_code == 401


def test_list_holds_only_own_area(api_client, township_user, household, other_household):
    mine = make_project(household)
    make_project(other_household)
    api_client.force_authenticate(township_user)
    response = api_client.get(BASE)
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["head_name"] == "张三"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_township_gets_404(api_client, other_township_user, household, method):
    project = make_project(household, S.VILLAGE_REVIEWED)
    api_client.force_authenticate(other_township_user)
    response = getattr(api_client, method)(f"{BASE}{project.pk}/", {}, format="json")
    assert response.status_code in (404, 405) if method == "delete" else response.status_code == 404
    response = api_client.post(
        f"{BASE}{project.pk}/township-review/",
        {"reviewed_on": "2026-05-20", "passed": True, "opinion": "好"},
        format="json",
    )
    assert response.status_code == 404
    assert RenovationProject.objects.get(pk=project.pk).status == S.VILLAGE_REVIEWED


def test_official_reads_but_every_write_is_403(api_client, official, household):
    project = make_project(household, S.PUBLICITY)
    api_client.force_authenticate(official)
    assert api_client.get(f"{BASE}{project.pk}/").status_code == 200
    for path in ["approve/", "close/", "end/", "township-review/"]:
        assert api_client.post(f"{BASE}{project.pk}/{path}", {}, format="json").status_code == 403
    assert api_client.patch(f"{BASE}{project.pk}/", {"method": "rebuild"}).status_code == 403
    assert api_client.post(BASE, {}, format="json").status_code == 403
    assert api_client.post("/api/publicities/", {}, format="json").status_code == 403
    assert api_client.post("/api/objections/", {}, format="json").status_code == 403
    assert api_client.post("/api/quality-checks/", {}, format="json").status_code == 403


def test_wrong_role_for_a_step_is_403(api_client, township_user, household):
    project = make_project(household, S.PUBLICITY)
    api_client.force_authenticate(township_user)
    assert api_client.post(f"{BASE}{project.pk}/approve/").status_code == 403


def test_patch_cannot_set_status_amount_or_approver(api_client, township_user, household):
    project = make_project(household, S.APPLIED)
    api_client.force_authenticate(township_user)
    response = api_client.patch(
        f"{BASE}{project.pk}/",
        {
            "status": "closed",
            "approved_amount": "99999",
            "approved_by_name": "x",
            "built_area": 1,
            "builder_name": "王师傅",
        },
        format="json",
    )
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.status == S.APPLIED
    assert project.approved_amount is None and project.built_area is None
    assert project.builder_name == "王师傅"


def test_stale_version_is_409(api_client, township_user, household):
    project = make_project(household, S.APPLIED)
    api_client.force_authenticate(township_user)
    response = api_client.patch(
        f"{BASE}{project.pk}/", {"builder_name": "甲", "version": 99}, format="json"
    )
    assert response.status_code == 409
    assert "已被他人修改" in response.json()["detail"]


def test_apply_through_api(api_client, village_clerk, household):
    appraise(household, "C")
    api_client.force_authenticate(village_clerk)
    response = api_client.post(
        BASE,
        {"household": household.pk, "year": 2026, "applied_on": "2026-05-19", "method": "repair"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "applied"
    assert response.json()["danger_level"] == "C"


def test_village_review_with_four_representatives_is_400(api_client, village_clerk, household):
    project = make_project(household, S.APPLIED)
    api_client.force_authenticate(village_clerk)
    response = api_client.post(
        f"{BASE}{project.pk}/village-review/",
        {
            "held_on": "2026-05-19",
            "cadres": ["王书记"],
            "representatives": ["甲", "乙", "丙", "丁"],
            "result": "passed",
            "minutes_file": upload("m.pdf", pdf_bytes(), "application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "至少5名村民代表" in response.json()["detail"]
    assert RenovationProject.objects.get(pk=project.pk).status == S.APPLIED


def test_joint_review_flag_and_step(api_client, county_reviewer, areas):
    household = HouseholdFactory(village=areas["village"], split_on=dt.date(2025, 6, 1))
    project = make_project(household, S.TOWNSHIP_REVIEWED, level="none")
    api_client.force_authenticate(county_reviewer)
    assert api_client.get(f"{BASE}{project.pk}/").json()["needs_split_scrutiny"] is True
    opinions = [
        {"department": d, "agrees": True}
        for d in [
            "finance",
            "civil_affairs",
            "rural_revitalization",
            "emergency",
            "natural_resources",
        ]
    ]
    response = api_client.post(
        f"{BASE}{project.pk}/joint-review/",
        {"reviewed_on": "2026-05-19", "opinions": opinions},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "joint_reviewed"


def test_batch_approval_all_or_nothing(api_client, county_approver, areas):
    projects = [
        make_project(HouseholdFactory(village=areas["village"]), S.PUBLICITY) for _ in range(3)
    ]
    Publicity.objects.filter(project=projects[2], level="county").update(
        ends_on=dt.date(2026, 5, 25)
    )
    api_client.force_authenticate(county_approver)
    ids = [p.pk for p in projects]
    response = api_client.post(f"{BASE}approve-batch/", {"ids": ids}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [str(projects[2].pk)]
    assert not RenovationProject.objects.filter(status=S.APPROVED).exists()

    Publicity.objects.filter(project=projects[2]).update(ends_on=dt.date(2026, 5, 1))
    response = api_client.post(f"{BASE}approve-batch/", {"ids": ids}, format="json")
    assert response.status_code == 200
    assert [row["status"] for row in response.json()] == ["approved"] * 3
    assert response.json()[0]["approved_amount"] == "50000.00"


def test_batch_with_another_townships_project_changes_nothing(
    api_client, county_approver, other_township_user, household, other_household
):
    mine = make_project(household, S.PUBLICITY)
    theirs = make_project(other_household, S.PUBLICITY)
    api_client.force_authenticate(other_township_user)
    response = api_client.post(
        f"{BASE}approve-batch/", {"ids": [mine.pk, theirs.pk]}, format="json"
    )
    assert response.status_code == 403  # township staff never approve


def test_objection_and_quality_check_endpoints(
    api_client, county_reviewer, township_user, household, other_township_user
):
    project = make_project(household, S.PUBLICITY)
    publicity = project.publicities.get(level="village")
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(
        "/api/objections/",
        {"publicity": publicity.pk, "raised_on": "2026-03-02", "content": "家有楼房"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    objection_id = response.json()["id"]
    response = api_client.post(
        f"/api/objections/{objection_id}/resolve/",
        {"resolution": "经核实不属实", "resolved_on": "2026-03-05"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["resolved_by_name"] == county_reviewer.display_name

    api_client.force_authenticate(other_township_user)
    assert api_client.get(f"/api/objections/{objection_id}/").status_code == 404
    assert api_client.get(f"/api/publicities/{publicity.pk}/").status_code == 404

    building = make_project(HouseholdFactory(village=household.village), S.UNDER_CONSTRUCTION)
    api_client.force_authenticate(township_user)
    response = api_client.post(
        "/api/quality-checks/",
        {
            "project": building.pk,
            "checked_on": "2026-05-19",
            "inspector": "李工",
            "result": "problems",
            "problems": "圈梁未闭合",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    api_client.force_authenticate(other_township_user)
    response = api_client.post(
        "/api/quality-checks/",
        {"project": building.pk, "checked_on": "2026-05-19", "inspector": "x", "result": "passed"},
        format="json",
    )
    assert response.status_code == 400  # the project is not among the choices of this user


def test_commitment_without_a_date_is_400_with_the_rule(api_client, township_user, household):
    from renovation.models import Commitment

    project = make_project(household, ProjectStatus.NOTIFIED)
    api_client.force_authenticate(township_user)
    response = api_client.post(
        f"/api/renovation-projects/{project.pk}/commitment/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "承诺书必须填写签署日期" in response.json()["detail"]
    assert not Commitment.objects.filter(project=project).exists()


def test_accept_without_evaluation_form_is_400_in_chinese(api_client, township_user, household):
    """Issue 14 point 8: the API left the form out and the service got no argument (500)."""
    project = make_project(household, S.COMPLETED)
    api_client.force_authenticate(township_user)
    response = api_client.post(
        f"{BASE}{project.pk}/accept/",
        {
            "accepted_on": "2026-05-15",
            "parties": ["township", "village", "household", "builder"],
            "participants": "乡镇、村、农户、工匠",
            "evaluation_passed": True,
            "built_area": "60",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "请上传基本安全评定表。"
    project.refresh_from_db()
    assert project.status == S.COMPLETED
