"""Entries made offline on a phone and sent again (issue 19 point 3; core/offline.py).

The phone (static/js/offline.js) posts the form as it was filled in, with the header
X-Anju-Offline: 1 and the entry's client_id: the answer is JSON, a retry stores nothing twice,
and every refusal has a reason the phone can show. The browser test is
tests/browser/test_offline.py.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.urls import reverse

from households.models import Household
from inspections.models import HazardReport, InspectionRecord, Photo
from renovation.models import ProjectStatus, QualityCheck
from tests.factories import HouseholdFactory
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
REPLAY = {"HTTP_X_ANJU_OFFLINE": "1"}
TODAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def _inspection(household, client_id, **extra):
    return {
        "inspected_on": "2026-11-24",
        "occupied": "True",
        "findings": "墙体开裂，屋面漏雨",
        "client_id": str(client_id),
        "seen_version": str(household.version),
        "photos": [upload("a.jpg", jpeg_bytes())],
        **extra,
    }


def _post(client, url, data):
    return client.post(url, data, **REPLAY)


def test_the_same_inspection_sent_twice_is_stored_once(client, township_user, household):
    client.force_login(township_user)
    url = reverse("inspections:inspection_create", args=[household.pk])
    entry = uuid.uuid4()
    first = _post(client, url, _inspection(household, entry))
    second = _post(client, url, _inspection(household, entry))
    assert first.status_code == second.status_code == 201
    assert (
        first.json()
        == second.json()
        == {
            "status": "stored",
            "url": reverse("inspections:household", args=[household.pk]),
        }
    )
    stored = InspectionRecord.objects.unscoped("test").get(client_id=entry)
    assert stored.findings == "墙体开裂，屋面漏雨" and stored.inspector == township_user
    assert InspectionRecord.objects.unscoped("test").filter(household=household).count() == 1
    assert Photo.objects.unscoped("test").filter(inspection=stored).count() == 1
    # A second entry (another client id) is a second record.
    assert _post(client, url, _inspection(household, uuid.uuid4())).status_code == 201
    assert InspectionRecord.objects.unscoped("test").filter(household=household).count() == 2


def test_a_page_post_with_the_client_id_is_also_stored_once(client, township_user, household):
    """Online the form posts as a page; pressing 保存 again (a slow network) stores nothing new."""
    client.force_login(township_user)
    url = reverse("inspections:inspection_create", args=[household.pk])
    entry = uuid.uuid4()
    for _ in range(2):
        response = client.post(url, _inspection(household, entry))
        assert response.status_code == 302
    assert InspectionRecord.objects.unscoped("test").filter(household=household).count() == 1


def test_a_refused_entry_says_why_and_stores_nothing(client, township_user, household):
    client.force_login(township_user)
    url = reverse("inspections:inspection_create", args=[household.pk])
    response = _post(client, url, _inspection(household, uuid.uuid4(), findings=""))
    assert response.status_code == 422
    assert response.json() == {"status": "refused", "reason": "排查情况：请填写排查情况。"}
    future = _inspection(household, uuid.uuid4(), inspected_on="2026-12-30")
    response = _post(client, url, future)
    assert response.status_code == 422 and "排查日期" in response.json()["reason"]
    bad_id = _post(client, url, _inspection(household, "not-a-uuid"))
    assert bad_id.status_code == 422 and "离线录入编号无效" in bad_id.json()["reason"]
    assert not InspectionRecord.objects.unscoped("test").filter(household=household).exists()


def test_a_household_changed_since_the_form_was_filled_in_is_a_conflict(
    client, township_user, household
):
    client.force_login(township_user)
    url = reverse("inspections:inspection_create", args=[household.pk])
    data = _inspection(household, uuid.uuid4())
    Household.objects.filter(pk=household.pk).update(version=household.version + 1)
    response = _post(client, url, data)
    assert response.status_code == 409
    assert response.json()["status"] == "conflict"
    assert f"{household.head_name}户的信息在您填写之后已被修改" in response.json()["reason"]
    assert not InspectionRecord.objects.unscoped("test").filter(household=household).exists()
    # The user has looked and sends it anyway ("仍然上传").
    data["photos"] = [upload("a.jpg", jpeg_bytes())]
    assert _post(client, url, {**data, "ignore_changes": "1"}).status_code == 201


def test_a_household_moved_out_of_the_users_area_is_a_404(
    client, township_user, other_township_user, areas
):
    """The household left the user's township while the phone was offline."""
    household = HouseholdFactory(village=areas["village"])
    client.force_login(township_user)
    url = reverse("inspections:inspection_create", args=[household.pk])
    data = _inspection(household, uuid.uuid4())
    Household.objects.filter(pk=household.pk).update(village=areas["other_village"])
    assert _post(client, url, data).status_code == 404
    # Nor does the other township's user reach a household of the first township.
    client.force_login(other_township_user)
    own = HouseholdFactory(village=areas["village"])
    url = reverse("inspections:inspection_create", args=[own.pk])
    assert _post(client, url, _inspection(own, uuid.uuid4())).status_code == 404
    assert not InspectionRecord.objects.unscoped("test").exists()


def test_an_entry_id_of_another_household_is_refused(client, township_user, areas):
    first = HouseholdFactory(village=areas["village"])
    second = HouseholdFactory(village=areas["village"])
    client.force_login(township_user)
    entry = uuid.uuid4()
    url = reverse("inspections:inspection_create", args=[first.pk])
    assert _post(client, url, _inspection(first, entry)).status_code == 201
    url = reverse("inspections:inspection_create", args=[second.pk])
    response = _post(client, url, _inspection(second, entry))
    assert (
        response.status_code == 422
        and "离线录入编号已被另一条记录使用" in response.json()["reason"]
    )
    assert not InspectionRecord.objects.unscoped("test").filter(household=second).exists()


def test_a_hazard_report_sent_twice_is_stored_once(client, village_clerk, household):
    client.force_login(village_clerk)
    url = reverse("inspections:hazard_create", args=[household.pk])
    data = {
        "description": "后墙倾斜",
        "reported_on": "2026-11-24",
        "urgent": "on",
        "client_id": str(uuid.uuid4()),
        "seen_version": str(household.version),
    }
    assert _post(client, url, data).status_code == 201
    assert _post(client, url, data).status_code == 201
    assert HazardReport.objects.unscoped("test").filter(household=household).count() == 1


def test_a_quality_check_sent_twice_is_stored_once_and_an_ended_project_is_a_conflict(
    client, township_user, household
):
    project = make_project(household, ProjectStatus.COMPLETED)
    checks = QualityCheck.objects.unscoped("test").filter(project=project)
    before = checks.count()
    client.force_login(township_user)
    url = reverse("renovation:step", args=[project.pk, "quality_check"])
    data = {
        "checked_on": "2026-11-20",
        "inspector": "李工",
        "result": "passed",
        "client_id": str(uuid.uuid4()),
        "seen_version": str(household.version),
    }
    assert _post(client, url, data).status_code == 201
    assert _post(client, url, data).status_code == 201
    assert checks.count() == before + 1
    project.__class__.objects.filter(pk=project.pk).update(status=ProjectStatus.ACCEPTED)
    response = _post(client, url, {**data, "client_id": str(uuid.uuid4())})
    assert response.status_code == 409 and response.json()["reason"]
    assert checks.count() == before + 1


def test_the_forms_carry_what_the_phone_needs(client, township_user, household):
    client.force_login(township_user)
    page = client.get(reverse("inspections:inspection_create", args=[household.pk]))
    html = page.content.decode()
    assert 'data-offline="排查记录"' in html
    assert f'data-household-id="{household.pk}"' in html
    assert 'name="client_id"' in html
    assert f'name="seen_version" value="{household.version}"' in html
    assert "data-outbox" in html
    # Forms that are not recorded on site do not take offline entries.
    page = client.get(reverse("inspections:emergency_create", args=[household.pk]))
    assert "data-offline" not in page.content.decode()


def test_the_household_list_for_the_phone_has_masked_numbers_of_the_users_area_only(
    client, township_user, other_township_user, areas
):
    own = HouseholdFactory(village=areas["village"])
    other = HouseholdFactory(village=areas["other_village"])
    client.force_login(township_user)
    response = client.get(reverse("inspections:field_households"))
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    ids = {h["id"] for h in data["households"]}
    assert own.pk in ids and other.pk not in ids
    row = next(h for h in data["households"] if h["id"] == own.pk)
    assert row["id_number_masked"] == own.id_number_masked
    assert own.id_number not in response.content.decode()
    assert row["inspect_url"] == reverse("inspections:inspection_create", args=[own.pk])
    assert row["version"] == own.version
    client.force_login(other_township_user)
    ids = {
        h["id"] for h in client.get(reverse("inspections:field_households")).json()["households"]
    }
    assert other.pk in ids and own.pk not in ids


def test_the_service_worker_and_manifest(client, township_user):
    sw = client.get("/sw.js")
    assert sw.status_code == 200
    assert sw["Content-Type"].startswith("text/javascript")
    assert sw["Cache-Control"] == "no-cache"
    body = sw.content.decode()
    assert "/static/" in body and "quality_check" in body
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["short_name"] == "安居" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    client.force_login(township_user)
    page = client.get(reverse("inspections:field")).content.decode()
    assert 'rel="manifest"' in page and "js/offline.js" in page and "data-outbox" in page


def test_an_entry_sent_by_the_page_keeps_its_message_for_the_next_page(
    client, township_user, household
):
    """With network offline.js sends the form itself (header "page"): the answer is JSON, and
    the success message waits for the household page it goes to; from the outbox ("1") the
    message is not left behind."""
    client.force_login(township_user)
    url = reverse("inspections:inspection_create", args=[household.pk])
    response = client.post(url, _inspection(household, uuid.uuid4()), HTTP_X_ANJU_OFFLINE="page")
    assert response.status_code == 201
    page = client.get(response.json()["url"]).content.decode()
    assert "已保存排查记录" in page
    assert _post(client, url, _inspection(household, uuid.uuid4())).status_code == 201
    assert "已保存排查记录" not in client.get(response.json()["url"]).content.decode()
