"""Walks every page and endpoint of the app: anonymous, another area, read-only, right role."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from inspections import services
from inspections.models import Photo
from tests.factories import HouseholdFactory, UserFactory, area
from tests.inspections.factories import (
    CampaignFactory,
    EmergencyMeasureFactory,
    HazardReportFactory,
    jpeg_bytes,
    pdf_bytes,
    upload,
)


@pytest.fixture
def objs(areas, county_reviewer, township_user, other_household, household):
    """Records of the *other* township (白文镇) and one of the user's own township."""
    appraisal = services.appraisal_record(
        household=other_household,
        by=county_reviewer,
        level="D",
        method="assessed",
        appraiser_name="王工",
        appraised_on=dt.date(2026, 11, 20),
        report_file=upload("r.pdf", pdf_bytes(), "application/pdf"),
        photos=[upload("a.jpg", jpeg_bytes())],
    )
    inspection = services.inspection_record(
        household=other_household,
        by=county_reviewer,
        inspected_on=dt.date(2026, 11, 21),
        occupied=True,
        findings="住人",
        photos=[upload("b.jpg", jpeg_bytes())],
    )
    return {
        "household": other_household,
        "appraisal": appraisal,
        "inspection": inspection,
        "photo": Photo.objects.filter(inspection=inspection).get(),
        "hazard": HazardReportFactory(household=other_household, reporter=county_reviewer),
        "measure": EmergencyMeasureFactory(household=other_household, created_by=county_reviewer),
        "campaign": CampaignFactory(areas=[areas["other_township"]], created_by=county_reviewer),
        "own_campaign": CampaignFactory(areas=[areas["township"]], created_by=county_reviewer),
        "department_list": services.department_list_create(
            by=county_reviewer,
            department="minzheng",
            received_on=dt.date(2026, 11, 2),
            households=[other_household],
        ),
    }


LIST_PAGES = [
    "inspections:overview",
    "inspections:ledger",
    "inspections:ledger_export",
    "inspections:pending",
    "inspections:hazard_queue",
    "inspections:campaign_list",
]
OBJECT_PAGES = [
    ("inspections:household", "household"),
    ("inspections:inspection_create", "household"),
    ("inspections:appraisal_create", "household"),
    ("inspections:hazard_create", "household"),
    ("inspections:emergency_create", "household"),
    ("inspections:hazard_detail", "hazard"),
    ("inspections:campaign_detail", "campaign"),
    ("inspections:photo_file", "photo"),
    ("inspections:appraisal_report", "appraisal"),
]
API_LISTS = [
    "/api/appraisals/",
    "/api/inspections/",
    "/api/hazard-reports/",
    "/api/campaigns/",
    "/api/emergency-measures/",
    "/api/ledger/",
    "/api/department-lists/",
]
API_DETAILS = [
    ("/api/appraisals/{}/", "appraisal"),
    ("/api/inspections/{}/", "inspection"),
    ("/api/hazard-reports/{}/", "hazard"),
    ("/api/campaigns/{}/", "campaign"),
    ("/api/campaigns/{}/progress/", "campaign"),
    ("/api/emergency-measures/{}/", "measure"),
    ("/api/ledger/{}/", "household"),
]


def _url(name, objs, key=None):
    return reverse(name, args=[objs[key].pk]) if key else reverse(name)


def test_anonymous_pages_redirect_to_login(client, objs):
    urls = [_url(n, objs) for n in LIST_PAGES + ["inspections:campaign_create"]]
    urls += [_url(n, objs, k) for n, k in OBJECT_PAGES]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_anonymous_api_refused(api_client, objs):
    for url in API_LISTS + [u.format(objs[k].pk) for u, k in API_DETAILS]:
        assert api_client.get(url).status_code in (401, 403), url
    assert api_client.post("/api/inspections/", {}).status_code in (401, 403)


def test_other_township_gets_404_on_pages(client, other_township_user, township_user, objs):
    client.force_login(township_user)
    for name, key in OBJECT_PAGES:
        assert client.get(_url(name, objs, key)).status_code == 404, name
    for name, key in OBJECT_PAGES[1:6]:
        assert client.post(_url(name, objs, key), {}).status_code == 404, name
    # Lists leave the other township's records out.
    assert "李四" not in client.get(reverse("inspections:ledger")).content.decode()
    assert "李四" not in client.get(reverse("inspections:overview")).content.decode()
    assert "李四" not in client.get(reverse("inspections:pending")).content.decode()
    # The owner township sees them.
    client.force_login(other_township_user)
    for name, key in [("inspections:household", "household"), ("inspections:photo_file", "photo")]:
        assert client.get(_url(name, objs, key)).status_code == 200


def test_other_township_gets_404_in_api(api_client, township_user, objs):
    api_client.force_authenticate(township_user)
    for url, key in API_DETAILS:
        assert api_client.get(url.format(objs[key].pk)).status_code == 404, url
    for url in API_LISTS:
        if url in ("/api/department-lists/", "/api/campaigns/"):
            continue
        assert api_client.get(url).json()["count"] == 0, url
    campaigns = api_client.get("/api/campaigns/").json()["results"]
    assert [c["id"] for c in campaigns] == [objs["own_campaign"].pk]
    (entry_list,) = api_client.get("/api/department-lists/").json()["results"]
    assert entry_list["entries"] == []  # the other township's household is not listed
    response = api_client.post(
        f"/api/hazard-reports/{objs['hazard'].pk}/verify/", {"is_real": True}
    )
    assert response.status_code == 404


def test_other_county_reviewer_gets_404_on_updates(api_client, objs):
    county2 = area("141125000000", "邻县")
    township2 = area("141125100000", "邻镇", county2)
    area("141125100201", "邻村", township2)
    stranger = UserFactory(username="reviewer2", role=Role.COUNTY_REVIEWER, area=county2)
    api_client.force_authenticate(stranger)
    campaign = objs["campaign"]
    assert api_client.patch(f"/api/campaigns/{campaign.pk}/", {"name": "x"}).status_code == 404
    assert api_client.put(f"/api/campaigns/{campaign.pk}/", {"name": "x"}).status_code == 404
    response = api_client.post(f"/api/appraisals/{objs['appraisal'].pk}/dispute/", {"note": "x"})
    assert response.status_code == 404
    campaign.refresh_from_db()
    assert campaign.name != "x"


def test_official_cannot_write_pages(client, official, household, objs, areas):
    client.force_login(official)
    for name in LIST_PAGES:
        assert client.get(_url(name, objs)).status_code == 200, name
    assert client.get(reverse("inspections:household", args=[household.pk])).status_code == 200
    for name in [
        "inspections:inspection_create",
        "inspections:appraisal_create",
        "inspections:hazard_create",
        "inspections:emergency_create",
    ]:
        url = reverse(name, args=[household.pk])
        assert client.get(url).status_code == 403, name
        assert client.post(url, {}).status_code == 403, name
    assert client.get(reverse("inspections:campaign_create")).status_code == 403
    assert client.post(reverse("inspections:campaign_create"), {}).status_code == 403
    hazard = HazardReportFactory(household=household, reporter=official)
    assert client.get(reverse("inspections:hazard_detail", args=[hazard.pk])).status_code == 200
    response = client.post(
        reverse("inspections:hazard_detail", args=[hazard.pk]), {"is_real": "True"}
    )
    assert response.status_code == 403


def test_official_cannot_write_api(api_client, official, household, objs, areas):
    api_client.force_authenticate(official)
    for url in API_LISTS:
        assert api_client.get(url).status_code == 200, url
    writes = [
        ("post", "/api/appraisals/", {"household": household.pk}),
        ("post", "/api/inspections/", {"household": household.pk}),
        ("post", "/api/hazard-reports/", {"household": household.pk}),
        ("post", "/api/campaigns/", {"name": "x"}),
        ("post", "/api/emergency-measures/", {"household": household.pk}),
        ("post", "/api/department-lists/", {"households": [household.pk]}),
        ("patch", f"/api/campaigns/{objs['campaign'].pk}/", {"name": "x"}),
        ("put", f"/api/campaigns/{objs['campaign'].pk}/", {"name": "x"}),
        ("post", f"/api/hazard-reports/{objs['hazard'].pk}/verify/", {"is_real": True}),
        ("post", f"/api/appraisals/{objs['appraisal'].pk}/dispute/", {"note": "x"}),
    ]
    for method, url, data in writes:
        assert getattr(api_client, method)(url, data, format="json").status_code == 403, url
    assert api_client.post("/api/ledger/", {}).status_code in (403, 405)


@pytest.mark.parametrize(
    ("user_fixture", "name", "status"),
    [
        ("township_user", "inspections:appraisal_create", 403),
        ("village_clerk", "inspections:appraisal_create", 403),
        ("county_reviewer", "inspections:appraisal_create", 200),
        ("township_user", "inspections:inspection_create", 200),
        ("village_clerk", "inspections:inspection_create", 200),
        ("village_clerk", "inspections:hazard_create", 200),
        ("county_reviewer", "inspections:hazard_create", 403),
    ],
)
def test_role_matrix_for_forms(request, client, household, user_fixture, name, status):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(reverse(name, args=[household.pk])).status_code == status


def test_right_roles_succeed_in_api(
    api_client, county_reviewer, township_user, village_clerk, household, areas
):
    api_client.force_authenticate(village_clerk)
    r = api_client.post(
        "/api/hazard-reports/",
        {"household": household.pk, "description": "裂缝", "reported_on": "2026-11-23"},
    )
    assert r.status_code == 201
    api_client.force_authenticate(county_reviewer)
    r = api_client.post(
        "/api/campaigns/",
        {
            "name": "灾后排查",
            "kind": "disaster",
            "areas": [areas["township"].code],
            "starts_on": "2026-11-20",
            "ends_on": "2026-11-30",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    api_client.force_authenticate(township_user)
    r = api_client.post(
        "/api/inspections/",
        {
            "household": household.pk,
            "campaign": r.json()["id"],
            "inspected_on": "2026-11-22",
            "occupied": True,
            "findings": "正常",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert api_client.get(f"/api/campaigns/{r.json()['campaign']}/progress/").json()["checked"] == 1


def test_village_clerk_cannot_see_other_village(client, village_clerk, areas):
    other = HouseholdFactory(head_name="西村户", village=areas["village2"])
    client.force_login(village_clerk)
    assert client.get(reverse("inspections:household", args=[other.pk])).status_code == 404
