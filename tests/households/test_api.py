from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import Household
from tests.conftest import PASSWORD
from tests.factories import HouseholdFactory, MemberFactory, make_id_number

pytestmark = pytest.mark.django_db

LIST = "/api/households/"


def _payload(village, **overrides):
    data = {
        "village": village.code,
        "head_name": "孙八",
        "id_number": make_id_number(),
        "family_size": 2,
        "category": "tekun",
        "members": [{"name": "孙小八", "relation": "child"}],
    }
    data.update(overrides)
    return data


def test_token_auth(api_client, township_user, household):
    response = api_client.post(
        "/api/auth/token/",
        {"username": township_user.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get(LIST)
    assert response.status_code == 200
    assert [row["head_name"] for row in response.json()["results"]] == ["张三"]


def test_anonymous_gets_401(api_client, household):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(f"{LIST}{household.pk}/").status_code == 401


def test_list_scoped_and_masked(api_client, township_user, household, other_household):
    api_client.force_authenticate(township_user)
    rows = api_client.get(LIST).json()["results"]
    assert [r["head_name"] for r in rows] == ["张三"]
    assert rows[0]["id_number_masked"] == household.id_number_masked
    assert "id_number" not in rows[0] and "bank_account" not in rows[0]
    assert household.id_number not in str(rows)


def test_other_township_object_is_404_for_every_method(api_client, township_user, other_household):
    api_client.force_authenticate(township_user)
    url = f"{LIST}{other_household.pk}/"
    assert api_client.get(url).status_code == 404
    assert api_client.put(url, _payload(other_household.village), format="json").status_code == 404
    assert api_client.patch(url, {"phone": "1"}, format="json").status_code == 404
    assert api_client.delete(url).status_code in (404, 405)


def test_official_gets_403_on_writes(api_client, official, household, areas):
    api_client.force_authenticate(official)
    assert api_client.get(LIST).status_code == 200
    assert api_client.post(LIST, _payload(areas["village"]), format="json").status_code == 403
    url = f"{LIST}{household.pk}/"
    assert api_client.patch(url, {"phone": "139"}, format="json").status_code == 403
    assert api_client.put(url, _payload(areas["village"]), format="json").status_code == 403


def test_create_and_update(api_client, township_user, areas):
    api_client.force_authenticate(township_user)
    response = api_client.post(LIST, _payload(areas["village"]), format="json")
    assert response.status_code == 201, response.json()
    created = Household.objects.get(pk=response.json()["id"])
    assert created.members.get().name == "孙小八"
    url = f"{LIST}{created.pk}/"
    response = api_client.patch(url, {"phone": "13600000000", "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    created.refresh_from_db()
    assert created.phone == "13600000000"


def test_stale_version_is_409(api_client, township_user, household):
    api_client.force_authenticate(township_user)
    url = f"{LIST}{household.pk}/"
    assert (
        api_client.patch(url, {"phone": "13500000001", "version": 1}, format="json").status_code
        == 200
    )
    response = api_client.patch(url, {"phone": "13500000002", "version": 1}, format="json")
    assert response.status_code == 409
    assert "已被他人修改" in response.json()["detail"]
    household.refresh_from_db()
    assert household.phone == "13500000001"


def test_cannot_create_in_another_township(api_client, township_user, areas):
    api_client.force_authenticate(township_user)
    response = api_client.post(LIST, _payload(areas["other_village"]), format="json")
    assert response.status_code == 400
    assert not Household.objects.filter(head_name="孙八").exists()


def test_cannot_move_household_out_of_area(api_client, township_user, household, areas):
    api_client.force_authenticate(township_user)
    response = api_client.patch(
        f"{LIST}{household.pk}/", {"village": areas["other_village"].code}, format="json"
    )
    assert response.status_code == 400
    household.refresh_from_db()
    assert household.village == areas["village"]


def test_read_only_fields_cannot_be_set(api_client, township_user, household):
    api_client.force_authenticate(township_user)
    response = api_client.patch(
        f"{LIST}{household.pk}/",
        {"id_number_masked": "x", "county_code": "999999", "created_at": "2000-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 200
    household.refresh_from_db()
    assert household.id_number_masked.startswith("141124")
    assert household.county_code == "141124"


def test_bad_id_checksum_is_400_in_chinese(api_client, township_user, areas):
    api_client.force_authenticate(township_user)
    good = make_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = api_client.post(LIST, _payload(areas["village"], id_number=bad), format="json")
    assert response.status_code == 400
    assert "校验位" in str(response.json())


def test_filters(api_client, county_reviewer, areas):
    HouseholdFactory(village=areas["village"], category="dibao", is_veteran=True, head_name="甲")
    HouseholdFactory(village=areas["other_village"], category="tekun", head_name="乙")
    api_client.force_authenticate(county_reviewer)

    def names(params):
        return sorted(r["head_name"] for r in api_client.get(LIST, params).json()["results"])

    assert names({"category": "tekun"}) == ["乙"]
    assert names({"township": areas["township"].code}) == ["甲"]
    assert names({"priority": "is_veteran"}) == ["甲"]
    assert names({"q": "乙"}) == ["乙"]


def test_api_list_query_count_is_fixed(api_client, county_reviewer, areas):
    for h in HouseholdFactory.create_batch(3, village=areas["village"]):
        MemberFactory(household=h)
    api_client.force_authenticate(county_reviewer)
    with CaptureQueriesContext(connection) as small:
        assert api_client.get(LIST).status_code == 200
    for h in HouseholdFactory.create_batch(30, village=areas["village2"]):
        MemberFactory.create_batch(2, household=h)
    with CaptureQueriesContext(connection) as large:
        response = api_client.get(LIST, {"page_size": 100})
    assert response.json()["count"] == 33
    assert len(large) == len(small)


def test_areas_api_lists_visible_tree(api_client, township_user, areas):
    api_client.force_authenticate(township_user)
    rows = api_client.get("/api/areas/").json()
    codes = {r["code"] for r in rows}
    assert codes == {areas["township"].code, areas["village"].code, areas["village2"].code}
    village = next(r for r in rows if r["code"] == areas["village"].code)
    assert village == {
        "code": areas["village"].code,
        "name": "东村",
        "level": "village",
        "parent": areas["township"].code,
    }


def test_schema_and_docs_available(client, township_user):
    client.force_login(township_user)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
