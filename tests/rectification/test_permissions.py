"""Every page and endpoint: anonymous → login/401; other township → 404; official → 403 on
writes but may download; the right role succeeds."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rectification import services
from rectification.models import Complaint, ItemStatus, SelfCheckFinding
from tests.rectification.factories import CampaignFactory, ComplaintFactory, jpeg_upload

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def complaint(areas, township_user):
    return ComplaintFactory(area=areas["village"], created_by=township_user)


@pytest.fixture
def finding(areas):
    return SelfCheckFinding.objects.create(
        rule="d_house_occupied",
        subject="x",
        area=areas["village"],
        message="张三D级住人",
        fingerprint="f",
    )


def _get_pages(item, complaint):
    return [
        reverse("rectification:item_list"),
        reverse("rectification:item_detail", args=[item.pk]),
        reverse("rectification:ledger_xlsx"),
        reverse("rectification:campaign_list"),
        reverse("rectification:complaint_list"),
        reverse("rectification:complaint_detail", args=[complaint.pk]),
        reverse("rectification:selfcheck"),
    ]


def test_anonymous_redirected_to_login(client, item, complaint):
    for url in _get_pages(item, complaint) + [reverse("rectification:import")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url


def test_anonymous_api_401(api_client, item):
    for url in [
        "/api/rectification-items/",
        "/api/rectification-campaigns/",
        "/api/complaints/",
        "/api/selfcheck-findings/",
        f"/api/rectification-items/{item.pk}/close/",
    ]:
        method = api_client.post if url.endswith("close/") else api_client.get
        assert method(url).status_code == 401, url


def test_other_township_gets_404(client, api_client, other_township_user, item, complaint, finding):
    client.force_login(other_township_user)
    assert item.title not in client.get(reverse("rectification:item_list")).content.decode()
    for url in [
        reverse("rectification:item_detail", args=[item.pk]),
        reverse("rectification:complaint_detail", args=[complaint.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("rectification:item_note", args=[item.pk]), {"content": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("rectification:item_submit", args=[item.pk])).status_code == 404
    api_client.force_authenticate(other_township_user)
    assert api_client.get(f"/api/rectification-items/{item.pk}/").status_code == 404
    assert (
        api_client.post(f"/api/rectification-items/{item.pk}/note/", {"content": "x"}).status_code
        == 404
    )
    assert api_client.get(f"/api/complaints/{complaint.pk}/").status_code == 404
    assert api_client.get(f"/api/selfcheck-findings/{finding.pk}/").status_code == 404
    assert api_client.get("/api/rectification-items/").json()["count"] == 0


def test_township_does_not_see_county_level_items(client, township_user, item, county_item):
    client.force_login(township_user)
    body = client.get(reverse("rectification:item_list")).content.decode()
    assert item.title in body and county_item.title not in body
    assert (
        client.get(reverse("rectification:item_detail", args=[county_item.pk])).status_code == 404
    )


def test_official_reads_and_downloads_but_cannot_write(
    client, api_client, official, item, complaint, finding
):
    client.force_login(official)
    for url in _get_pages(item, complaint):
        assert client.get(url).status_code == 200, url
    response = client.get(reverse("rectification:ledger_xlsx"))
    assert response["Content-Type"] == XLSX
    writes = [
        (reverse("rectification:item_create"), {}),
        (reverse("rectification:item_edit", args=[item.pk]), {}),
        (reverse("rectification:item_note", args=[item.pk]), {"content": "x"}),
        (reverse("rectification:item_submit", args=[item.pk]), {}),
        (reverse("rectification:item_close", args=[item.pk]), {}),
        (reverse("rectification:item_reopen", args=[item.pk]), {"reason": "x"}),
        (reverse("rectification:campaign_list"), {"name": "x", "source": "national"}),
        (reverse("rectification:complaint_create"), {}),
        (reverse("rectification:complaint_detail", args=[complaint.pk]), {"reply": "x"}),
        (reverse("rectification:complaint_convert", args=[complaint.pk]), {}),
        (reverse("rectification:selfcheck_run"), {}),
        (reverse("rectification:findings_convert"), {"rule": "d_house_occupied"}),
        (reverse("rectification:finding_dismiss", args=[finding.pk]), {"reason": "x"}),
        (reverse("rectification:import"), {}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("rectification:item_create")).status_code == 403
    api_client.force_authenticate(official)
    assert api_client.get("/api/rectification-items/").json()["count"] == 1
    api_writes = [
        ("/api/rectification-items/", {"title": "x"}),
        (f"/api/rectification-items/{item.pk}/note/", {"content": "x"}),
        (f"/api/rectification-items/{item.pk}/submit/", {}),
        (f"/api/rectification-items/{item.pk}/close/", {}),
        (f"/api/rectification-items/{item.pk}/reopen/", {"reason": "x"}),
        ("/api/rectification-campaigns/", {"name": "x", "source": "national"}),
        ("/api/complaints/", {"content": "x"}),
        (f"/api/complaints/{complaint.pk}/convert/", {}),
        ("/api/selfcheck-findings/run/", {}),
        ("/api/selfcheck-findings/convert/", {"rule": "d_house_occupied"}),
        (f"/api/selfcheck-findings/{finding.pk}/dismiss/", {"reason": "x"}),
    ]
    for url, data in api_writes:
        assert api_client.post(url, data).status_code == 403, url
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    assert not Complaint.objects.filter(item__isnull=False).exists()


def test_township_staff_reports_progress_and_submits_via_pages(client, township_user, item):
    client.force_login(township_user)
    response = client.post(
        reverse("rectification:item_note", args=[item.pk]),
        {"content": "旧房已拆除，附照片", "files": [jpeg_upload()]},
        follow=True,
    )
    assert "已保存整改进展" in response.content.decode()
    response = client.post(reverse("rectification:item_submit", args=[item.pk]), follow=True)
    assert "已提交核验" in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED and item.submitted_by == township_user
    evidence = item.evidence.get()
    assert client.get(evidence.get_absolute_url()).status_code == 200


def test_close_refusals_shown_on_page(client, county_reviewer, county_approver, item):
    services.note_add(item=item, by=county_reviewer, content="电话督促")
    services.item_submit(item=item, by=county_reviewer)
    client.force_login(county_reviewer)
    response = client.post(reverse("rectification:item_close", args=[item.pk]), follow=True)
    assert "销号须由提交人以外的人员核验" in response.content.decode()
    client.force_login(county_approver)
    response = client.post(reverse("rectification:item_close", args=[item.pk]), follow=True)
    assert "销号前须上传整改佐证材料" in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED


def test_api_lifecycle(
    api_client, county_reviewer, county_approver, township_user, areas, household
):
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(
        "/api/rectification-items/",
        {
            "source": "unannounced",
            "problem_type": "policy",
            "title": "D级危房住人",
            "findings": "东村张三仍住D级危房",
            "area": areas["village"].code,
            "households": [household.pk],
            "deadline_kind": "date",
            "deadline": "2026-12-31",
            "responsible_unit": "临泉镇人民政府",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    api_client.force_authenticate(township_user)
    response = api_client.post(
        f"/api/rectification-items/{pk}/note/",
        {"content": "已搬离", "files": [jpeg_upload()]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["evidence"]) == 1
    assert api_client.post(f"/api/rectification-items/{pk}/submit/").json()["status"] == "submitted"
    api_client.force_authenticate(county_approver)
    response = api_client.post(f"/api/rectification-items/{pk}/close/", {"note": "核实"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    # The step table refuses a step the status does not allow: a conflict with the state.
    response = api_client.post(f"/api/rectification-items/{pk}/close/")
    assert response.status_code == 409 and "不能销号" in response.json()["detail"]


def test_api_close_by_submitter_refused(api_client, county_reviewer, item):
    services.note_add(item=item, by=county_reviewer, content="x", files=[jpeg_upload()])
    services.item_submit(item=item, by=county_reviewer)
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(f"/api/rectification-items/{item.pk}/close/")
    assert response.status_code == 400
    assert response.json()["detail"] == "销号须由提交人以外的人员核验"


def test_complaint_one_click_conversion(client, county_reviewer, complaint):
    client.force_login(county_reviewer)
    response = client.post(reverse("rectification:complaint_convert", args=[complaint.pk]))
    complaint.refresh_from_db()
    assert response.status_code == 302 and response.url == complaint.item.get_absolute_url()
    assert complaint.item.get_source_display() == "群众反映"


def test_township_registers_complaint(client, township_user, areas):
    client.force_login(township_user)
    response = client.post(
        reverse("rectification:complaint_create"),
        {
            "area": areas["village"].code,
            "channel": "visit",
            "received_on": "2026-11-20",
            "contact": "李大爷",
            "content": "房屋墙体开裂",
        },
    )
    assert response.status_code == 302
    assert Complaint.objects.get().content == "房屋墙体开裂"


def test_reviewer_creates_item_via_page(client, county_reviewer, areas):
    campaign = CampaignFactory(area=areas["county"], created_by=county_reviewer)
    client.force_login(county_reviewer)
    response = client.post(
        reverse("rectification:item_create"),
        {
            "campaign": campaign.pk,
            "source": "national",
            "problem_type": "work",
            "title": "档案资料填写不规范",
            "findings": "开工时间统一",
            "area": areas["county"].code,
            "deadline_kind": "long_term",
            "stages": "2027-06-30 全面规范档案",
            "responsible_unit": "县住建局",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "已保存整改问题" in body and "2027年6月30日（长期坚持）" in body


def test_ledger_download_filtered_by_campaign(client, official, county_reviewer, areas, item):
    from io import BytesIO

    from openpyxl import load_workbook

    campaign = CampaignFactory(
        area=areas["county"], created_by=county_reviewer, name="2023年暗访问题整改"
    )
    item.campaign = campaign
    item.save()
    client.force_login(official)
    response = client.get(reverse("rectification:ledger_xlsx"), {"campaign": campaign.pk})
    ws = load_workbook(BytesIO(response.content)).active
    assert ws["A1"].value.startswith("2023年暗访问题整改")
    assert ws["D3"].value == item.title
    response = client.get(reverse("rectification:ledger_xlsx"), {"status": "closed"})
    ws = load_workbook(BytesIO(response.content)).active
    assert ws["D3"].value is None


def test_reviewer_opens_every_page(client, county_reviewer, item, complaint, finding):
    client.force_login(county_reviewer)
    pages = _get_pages(item, complaint) + [
        reverse("rectification:item_create"),
        reverse("rectification:item_edit", args=[item.pk]),
        reverse("rectification:import"),
        reverse("rectification:ledger_pdf"),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    body = client.get(reverse("rectification:selfcheck")).content.decode()
    assert "张三D级住人" in body and "全部转入整改台账" in body


def test_selfcheck_run_page_for_county_roles_only(client, county_approver, township_user):
    client.force_login(township_user)
    assert client.post(reverse("rectification:selfcheck_run")).status_code == 403
    client.force_login(county_approver)
    response = client.post(reverse("rectification:selfcheck_run"), follow=True)
    assert "自查完成" in response.content.decode()
