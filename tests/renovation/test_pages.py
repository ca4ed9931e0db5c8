"""Pages: every renovation page's permissions, and the steps through their forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from renovation.models import ProjectStatus, Publicity, RenovationProject
from tests.factories import HouseholdFactory
from tests.inspections.factories import jpeg_bytes, pdf_bytes, upload
from tests.renovation.factories import appraise, make_project

S = ProjectStatus
pytestmark = pytest.mark.django_db


def _pages(project, household, village_code):
    publicity = project.publicities.first()
    return [
        reverse("renovation:list"),
        reverse("renovation:detail", args=[project.pk]),
        reverse("renovation:archive", args=[household.pk]),
        reverse("renovation:archive_pdf", args=[household.pk]),
        reverse("renovation:letter", args=[project.pk]),
        reverse("renovation:notice_xlsx", args=[village_code]),
        reverse("renovation:step", args=[project.pk, "override_amount"]),
        reverse("renovation:objection_create", args=[publicity.pk]) if publicity else None,
    ]


def test_anonymous_is_sent_to_login(client, household, areas):
    project = make_project(household, S.APPROVED)
    for url in filter(None, _pages(project, household, areas["village"].code)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(reverse("renovation:approve_batch"), {"ids": [project.pk]})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_township_gets_404_on_every_object_page(
    client, other_township_user, household, areas
):
    project = make_project(household, S.APPROVED)
    client.force_login(other_township_user)
    for url in _pages(project, household, areas["village"].code)[1:]:
        if url:
            assert client.get(url).status_code == 404, url
    url = reverse("renovation:step", args=[project.pk, "notify"])
    assert client.post(url, {"notified_on": "2026-05-20"}).status_code == 404
    assert RenovationProject.objects.get(pk=project.pk).status == S.APPROVED
    assert "张三" not in client.get(reverse("renovation:list")).content.decode()


def test_official_reads_but_cannot_write(client, official, household, areas):
    project = make_project(household, S.PUBLICITY)
    client.force_login(official)
    assert client.get(reverse("renovation:detail", args=[project.pk])).status_code == 200
    assert client.get(reverse("renovation:archive", args=[household.pk])).status_code == 200
    step = reverse("renovation:step", args=[project.pk, "approve"])
    assert client.get(step).status_code == 403
    assert client.post(step).status_code == 403
    assert (
        client.post(reverse("renovation:approve_batch"), {"ids": [project.pk]}).status_code == 403
    )
    apply = reverse("renovation:apply", args=[household.pk])
    assert client.get(apply).status_code == 403
    publicity = project.publicities.first()
    assert (
        client.post(reverse("renovation:objection_create", args=[publicity.pk])).status_code == 403
    )
    assert RenovationProject.objects.get(pk=project.pk).status == S.PUBLICITY


def test_step_for_wrong_role_is_403(client, township_user, household):
    project = make_project(household, S.PUBLICITY)
    client.force_login(township_user)
    assert client.post(reverse("renovation:step", args=[project.pk, "approve"])).status_code == 403


def test_apply_and_village_review_through_forms(client, village_clerk, household):
    appraise(household, "D")
    client.force_login(village_clerk)
    response = client.post(
        reverse("renovation:apply", args=[household.pk]),
        {"year": 2026, "applied_on": "2026-05-18", "method": "rebuild", "planned_area": "60"},
    )
    project = RenovationProject.objects.get(household=household)
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    url = reverse("renovation:step", args=[project.pk, "village_review"])
    data = {
        "held_on": "2026-05-19",
        "cadres": "王书记",
        "representatives": "甲、乙、丙、丁",
        "result": "passed",
        "minutes_file": upload("m.jpg", jpeg_bytes()),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "至少5名村民代表参加，当前只有4名" in response.content.decode()
    data["representatives"] = "甲、乙、丙、丁、戊"
    data["minutes_file"] = upload("m.jpg", jpeg_bytes())
    response = client.post(url, data, follow=True)
    assert "已录入村级评议" in response.content.decode()
    assert RenovationProject.objects.get(pk=project.pk).status == S.VILLAGE_REVIEWED


def test_detail_shows_next_steps_for_the_role(client, township_user, county_reviewer, household):
    project = make_project(household, S.VILLAGE_REVIEWED)
    client.force_login(township_user)
    page = client.get(reverse("renovation:detail", args=[project.pk])).content.decode()
    assert 'id="step-township_review"' in page
    client.force_login(county_reviewer)
    page = client.get(reverse("renovation:detail", args=[project.pk])).content.decode()
    assert 'id="step-township_review"' not in page


def test_joint_review_page_flags_recent_split(client, county_reviewer, areas):
    household = HouseholdFactory(village=areas["village"], split_on=dt.date(2025, 10, 1))
    project = make_project(household, S.TOWNSHIP_REVIEWED, level="none")
    client.force_login(county_reviewer)
    page = client.get(reverse("renovation:step", args=[project.pk, "joint_review"]))
    assert "需重点审核（近两年分户）" in page.content.decode()


def test_approval_page_refuses_with_unresolved_objection(
    client, county_approver, county_reviewer, household
):
    project = make_project(household, S.PUBLICITY)
    publicity = project.publicities.get(level="township")
    client.force_login(county_reviewer)
    client.post(
        reverse("renovation:objection_create", args=[publicity.pk]),
        {"raised_on": "2026-03-10", "content": "家有楼房"},
    )
    client.force_login(county_approver)
    response = client.post(reverse("renovation:step", args=[project.pk, "approve"]))
    assert response.status_code == 200
    assert "还有1条公示异议未处理" in response.content.decode()
    assert RenovationProject.objects.get(pk=project.pk).status == S.PUBLICITY


def test_batch_approval_page_lists_reasons_and_changes_nothing(client, county_approver, areas):
    ok = make_project(HouseholdFactory(village=areas["village"], head_name="王五"), S.PUBLICITY)
    blocked = make_project(
        HouseholdFactory(village=areas["village"], head_name="赵六"), S.PUBLICITY
    )
    Publicity.objects.filter(project=blocked, level="county").update(ends_on=dt.date(2026, 5, 30))
    client.force_login(county_approver)
    response = client.post(
        reverse("renovation:approve_batch"), {"ids": [ok.pk, blocked.pk]}, follow=True
    )
    page = response.content.decode()
    assert "所选项目均未批准" in page and "赵六：" in page and "公示期未满" in page
    assert not RenovationProject.objects.filter(status=S.APPROVED).exists()


def test_commitment_without_date_is_refused_on_the_page(client, township_user, household):
    project = make_project(household, S.NOTIFIED)
    client.force_login(township_user)
    response = client.post(
        reverse("renovation:step", args=[project.pk, "commitment"]),
        {"file": upload("c.pdf", pdf_bytes(), "application/pdf")},
    )
    assert "承诺书必须填写签署日期" in response.content.decode()
    assert not hasattr(RenovationProject.objects.get(pk=project.pk), "commitment")


def test_archive_names_what_is_missing(client, township_user, household):
    make_project(household, S.UNDER_CONSTRUCTION)
    client.force_login(township_user)
    page = client.get(reverse("renovation:archive", args=[household.pk])).content.decode()
    assert "缺少：" in page
    assert "村级评议会议记录" in page and "改造前照片" in page
    # The payout is not due before acceptance: listed as a later step, not as missing.
    assert (
        "补助资金拨付凭证" in page
        and "补助资金拨付凭证" not in page.split("缺少：")[1].split("<")[0]
    )
    assert household.id_number not in page


def test_uploaded_files_are_served_only_in_area(
    client, village_clerk, other_township_user, household
):
    from renovation import services

    project = make_project(household, S.UNDER_CONSTRUCTION)
    [photo] = services.project_photos_add(
        project=project, by=village_clerk, stage="during", files=[upload("a.jpg", jpeg_bytes())]
    )
    url = reverse("renovation:file", args=["photo", photo.pk])
    client.force_login(village_clerk)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    client.force_login(other_township_user)
    assert client.get(url).status_code == 404
