import datetime as dt

import pytest
from django.urls import reverse

from core.errors import DomainError
from inspections import services
from inspections.models import HazardReport, HazardStatus
from tests.factories import HouseholdFactory
from tests.inspections.factories import HazardReportFactory, jpeg_bytes, upload


def test_three_level_flow(client, village_clerk, township_user, county_reviewer, household):
    client.force_login(village_clerk)
    response = client.post(
        reverse("inspections:hazard_create", args=[household.pk]),
        {
            "description": "后墙外闪，有倒塌危险",
            "reported_on": "2026-11-23",
            "urgent": "on",
            "photos": [upload("a.jpg", jpeg_bytes())],
        },
    )
    assert response.status_code == 302
    report = HazardReport.objects.get()
    assert report.status == HazardStatus.REPORTED and report.urgent and report.photos.count() == 1
    assert "后墙外闪" in client.get(reverse("inspections:hazard_queue")).content.decode()

    client.force_login(township_user)
    queue = client.get(reverse("inspections:hazard_queue")).content.decode()
    assert "后墙外闪" in queue and "紧急" in queue
    detail = client.get(reverse("inspections:hazard_detail", args=[report.pk])).content.decode()
    assert "提交核实结果" in detail
    response = client.post(
        reverse("inspections:hazard_detail", args=[report.pk]), {"is_real": "True", "note": "属实"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == HazardStatus.VERIFIED and report.verified_by == township_user
    assert "后墙外闪" not in client.get(reverse("inspections:hazard_queue")).content.decode()

    client.force_login(county_reviewer)
    assert "后墙外闪" in client.get(reverse("inspections:hazard_queue")).content.decode()
    services.appraisal_record(
        household=household,
        by=county_reviewer,
        level="D",
        method="assessed",
        appraiser_name="王工",
        appraised_on=dt.date(2026, 11, 23),
    )
    report.refresh_from_db()
    assert report.status == HazardStatus.APPRAISED
    assert "后墙外闪" not in client.get(reverse("inspections:hazard_queue")).content.decode()


def test_verify_twice_refused(township_user, hazard):
    services.hazard_report_verify(report=hazard, by=township_user, is_real=False, note="已修好")
    with pytest.raises(DomainError, match="不能重复核实"):
        services.hazard_report_verify(report=hazard, by=township_user, is_real=True)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.REJECTED and hazard.verification_note == "已修好"


def test_reject_needs_a_note(township_user, hazard):
    with pytest.raises(DomainError, match="请填写核实意见"):
        services.hazard_report_verify(report=hazard, by=township_user, is_real=False)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.REPORTED


def test_only_township_verifies(api_client, village_clerk, county_reviewer, official, hazard):
    for user, status in [(village_clerk, 403), (county_reviewer, 403), (official, 403)]:
        api_client.force_authenticate(user)
        response = api_client.post(f"/api/hazard-reports/{hazard.pk}/verify/", {"is_real": True})
        assert response.status_code == status
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.REPORTED


def test_queue_order_urgent_then_newest(api_client, township_user, areas, village_clerk):
    def report(name, day, urgent):
        h = HouseholdFactory(head_name=name, village=areas["village"])
        return HazardReportFactory(
            household=h, reported_on=dt.date(2026, 11, day), urgent=urgent, reporter=village_clerk
        )

    report("旧", 1, False)
    report("新", 20, False)
    report("急旧", 2, True)
    report("急新", 10, True)
    done = report("已核实", 21, True)
    done.status = HazardStatus.VERIFIED
    done.save()
    api_client.force_authenticate(township_user)
    data = api_client.get("/api/hazard-reports/", {"queue": "true"}).json()
    assert [r["household_name"] for r in data["results"]] == ["急新", "急旧", "新", "旧"]


def test_api_verify_and_report(api_client, village_clerk, township_user, household):
    api_client.force_authenticate(village_clerk)
    response = api_client.post(
        "/api/hazard-reports/",
        {"household": household.pk, "description": "漏雨", "reported_on": "2026-11-22"},
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    api_client.force_authenticate(township_user)
    response = api_client.post(
        f"/api/hazard-reports/{pk}/verify/", {"is_real": True, "note": "属实"}
    )
    assert response.status_code == 200 and response.json()["status"] == "verified"
    again = api_client.post(f"/api/hazard-reports/{pk}/verify/", {"is_real": True})
    assert again.status_code == 400 and "不能重复核实" in again.json()["detail"]
