import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from core.errors import DomainError
from inspections import selectors, services
from inspections.models import Appraisal, HazardStatus, Photo
from tests.inspections.factories import AppraisalFactory, jpeg_bytes, pdf_bytes, upload


def _record(by, household, **kw):
    data = {
        "level": "D",
        "method": "assessed",
        "appraiser_name": "王工",
        "appraised_on": dt.date(2026, 11, 20),
    }
    data.update(kw)
    return services.appraisal_record(household=household, by=by, **data)


def test_newest_appraisal_is_current_and_all_are_kept(county_reviewer, household):
    first = _record(county_reviewer, household, level="D", appraised_on=dt.date(2026, 11, 1))
    second = _record(
        county_reviewer,
        household,
        level="C",
        method="third_party",
        institution="省建科院",
        appraised_on=dt.date(2026, 11, 20),
        is_reappraisal=True,
    )
    # Same date: the later entry (higher id) wins.
    third = _record(county_reviewer, household, level="B", appraised_on=dt.date(2026, 11, 20))
    assert list(household.appraisals.order_by("id")) == [first, second, third]
    assert selectors.current_appraisal(household) == third
    row = selectors.household_overview(county_reviewer).get(pk=household.pk)
    assert (row.current_level, row.current_appraisal_id) == ("B", third.pk)


def test_only_county_reviewer_records(township_user, household):
    with pytest.raises(DomainError, match="仅限县住建局"):
        _record(township_user, household)
    assert not Appraisal.objects.exists()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"appraised_on": dt.date(2026, 11, 24)}, "鉴定日期不能晚于今天"),
        ({"method": "third_party", "institution": ""}, "第三方鉴定须填写鉴定机构"),
        ({"is_reappraisal": True, "method": "third_party", "institution": "X"}, "尚无鉴定结果"),
        ({"level": "E"}, "有效的安全等级"),
    ],
)
def test_refusals_change_nothing(county_reviewer, household, kw, message):
    with pytest.raises(DomainError, match=message):
        _record(county_reviewer, household, **kw)
    assert not Appraisal.objects.exists()


def test_reappraisal_must_be_third_party_and_not_earlier(county_reviewer, household):
    _record(county_reviewer, household, appraised_on=dt.date(2026, 11, 10))
    with pytest.raises(DomainError, match="复核鉴定须由第三方机构鉴定"):
        _record(county_reviewer, household, is_reappraisal=True)
    with pytest.raises(DomainError, match="不能早于原鉴定日期"):
        _record(
            county_reviewer,
            household,
            is_reappraisal=True,
            method="third_party",
            institution="X",
            appraised_on=dt.date(2026, 11, 1),
        )
    assert household.appraisals.count() == 1


def test_dispute_marks_current_only_once(county_reviewer, household, api_client):
    old = _record(county_reviewer, household, appraised_on=dt.date(2026, 11, 1))
    new = _record(county_reviewer, household, appraised_on=dt.date(2026, 11, 2))
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(f"/api/appraisals/{old.pk}/dispute/", {"note": "不服"})
    assert response.status_code == 400
    assert "当前的鉴定结果" in response.json()["detail"]
    response = api_client.post(f"/api/appraisals/{new.pk}/dispute/", {"note": "农户不服"})
    assert response.status_code == 200 and response.json()["disputed"] is True
    again = api_client.post(f"/api/appraisals/{new.pk}/dispute/", {"note": "再次"})
    assert again.status_code == 400 and "不能重复登记" in again.json()["detail"]


def test_appraisal_closes_verified_hazard_reports(county_reviewer, household, hazard):
    hazard.status = HazardStatus.VERIFIED
    hazard.save()
    appraisal = _record(county_reviewer, household)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.APPRAISED and hazard.appraisal == appraisal


def test_appraisal_page_with_report_and_photo(client, county_reviewer, household, settings):
    client.force_login(county_reviewer)
    url = reverse("inspections:appraisal_create", args=[household.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "level": "D",
            "method": "third_party",
            "appraiser_name": "李工",
            "institution": "市房屋安全鉴定站",
            "appraised_on": "2026-11-20",
            "report_file": upload("报告.pdf", pdf_bytes(), "application/pdf"),
            "photos": [upload("a.jpg", jpeg_bytes())],
        },
    )
    assert response.status_code == 302
    appraisal = Appraisal.objects.get()
    assert appraisal.report_file.name.endswith(".pdf")
    assert appraisal.photos.count() == 1
    page = client.get(reverse("inspections:household", args=[household.pk])).content.decode()
    assert "D级（整栋危房）" in page and "市房屋安全鉴定站" in page
    report = client.get(reverse("inspections:appraisal_report", args=[appraisal.pk]))
    assert report.status_code == 200 and report["Content-Type"] == "application/pdf"
    assert b"".join(report.streaming_content).startswith(b"%PDF")


def test_appraisal_page_refuses_text_as_report_and_saves_nothing(
    client, county_reviewer, household, settings
):
    client.force_login(county_reviewer)
    response = client.post(
        reverse("inspections:appraisal_create", args=[household.pk]),
        {
            "level": "C",
            "method": "assessed",
            "appraiser_name": "李工",
            "appraised_on": "2026-11-20",
            "report_file": upload("report.pdf", b"hello, not a pdf", "application/pdf"),
            "photos": [upload("a.jpg", jpeg_bytes())],
        },
    )
    assert response.status_code == 200
    assert "不是可接受的文件类型，只接受 JPEG、PNG、HEIC、PDF 格式" in response.content.decode()
    assert not Appraisal.objects.exists() and not Photo.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_api_create_appraisal(api_client, county_reviewer, household):
    api_client.force_authenticate(county_reviewer)
    response = api_client.post(
        "/api/appraisals/",
        {
            "household": household.pk,
            "level": "none",
            "method": "assessed",
            "appraiser_name": "王工",
            "appraised_on": "2026-11-21",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["level"] == "none"
    future = api_client.post(
        "/api/appraisals/",
        {
            "household": household.pk,
            "level": "D",
            "method": "assessed",
            "appraiser_name": "王工",
            "appraised_on": "2026-12-01",
        },
    )
    assert future.status_code == 400 and "不能晚于今天" in future.json()["detail"]


def test_api_refuses_household_of_other_township(
    api_client, county_reviewer, township_user, other_household
):
    AppraisalFactory(household=other_household, created_by=county_reviewer)
    api_client.force_authenticate(township_user)
    assert api_client.get("/api/appraisals/").json()["count"] == 0
