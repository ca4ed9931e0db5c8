"""#14 point 9: one set of rules for household data, whichever way it comes in (page, API,
import): the API is no looser than the page and the import."""

from __future__ import annotations

import pytest
from django.urls import reverse

from households import importer
from households.models import Household
from tests.factories import make_id_number
from tests.households.test_import import entry, workbook_bytes
from tests.households.test_pages import _form_data

pytestmark = pytest.mark.django_db

RLO = "\u202e"
# (field, junk value, words the Chinese reason must contain)
JUNK = [
    ("identified_on", "2099-01-01", "不能晚于今天"),
    ("identified_on", "0001-01-01", "不能早于"),
    ("split_on", "2099-06-01", "不能晚于今天"),
    ("phone", "abc", "只能包含数字"),
    ("head_name", f"{RLO}三张", "控制字符"),
    ("head_name", "张\u0007三", "控制字符"),
    ("address", "东村" * 150, "200"),  # the model's max_length or ours
    ("note", "备" * 700_000, "备注过长"),
]
IDS = ["future-identified", "year-1", "future-split", "phone-abc", "bidi", "bell", "long", "huge"]


def _api_body(areas, **overrides):
    body = {
        "village": areas["village"].code,
        "head_name": "孙八",
        "id_number": make_id_number(),
        "family_size": 2,
        "category": "tekun",
        "members": [{"name": "孙小八", "relation": "child"}],
    }
    return body | overrides


@pytest.mark.parametrize(("field", "value", "reason"), JUNK, ids=IDS)
def test_api_refuses_what_the_page_refuses(api_client, township_user, areas, field, value, reason):
    api_client.force_authenticate(township_user)
    response = api_client.post(
        "/api/households/", _api_body(areas, **{field: value}), format="json"
    )
    assert response.status_code == 400, response.content[:300]
    assert reason in " ".join(response.json()[field])
    assert not Household.objects.exists()


@pytest.mark.parametrize(("field", "value", "reason"), JUNK, ids=IDS)
def test_page_refuses_with_the_same_reason(client, township_user, areas, field, value, reason):
    client.force_login(township_user)
    response = client.post(
        reverse("households:create"), _form_data(areas["village"], **{field: value})
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not Household.objects.exists()


# The department list has no 分户日期 column; openpyxl cannot write a control character (a
# real file can only hold one escaped); a cell holds at most 32,767 characters.
IMPORT_JUNK = [
    pytest.param(*j, id=i)
    for i, j in zip(IDS, JUNK, strict=True)
    if i not in ("future-split", "bell", "huge")
] + [pytest.param("note", "备" * 3000, "备注过长", id="long-note")]


@pytest.mark.parametrize(("field", "value", "reason"), IMPORT_JUNK)
def test_import_refuses_with_the_same_reason(areas, field, value, reason):
    row = entry("钱九", make_id_number(), **{field: value})
    rows = importer.parse_workbook(workbook_bytes([row]))
    assert len(rows) == 1
    assert reason in " ".join(rows[0].errors), rows[0].errors


def test_api_refuses_more_members_than_the_family_size(api_client, township_user, areas):
    api_client.force_authenticate(township_user)
    members = [{"name": f"成员{i}", "relation": "child"} for i in range(100)]
    response = api_client.post(
        "/api/households/", _api_body(areas, family_size=2, members=members), format="json"
    )
    assert response.status_code == 400
    assert "家庭成员（不含户主）登记了100人" in " ".join(response.json()["members"])
    assert not Household.objects.exists()


def test_api_refuses_a_bidi_character_in_a_members_name(api_client, township_user, areas):
    api_client.force_authenticate(township_user)
    members = [{"name": f"{RLO}八小孙", "relation": "child"}]
    response = api_client.post("/api/households/", _api_body(areas, members=members), format="json")
    assert response.status_code == 400
    assert "控制字符" in str(response.json())


def test_page_refuses_more_members_than_the_family_size(client, township_user, areas):
    client.force_login(township_user)
    data = _form_data(
        areas["village"],
        family_size="2",
        **{
            "members-TOTAL_FORMS": "2",
            "members-1-name": "王小六",
            "members-1-relation": "child",
            "members-1-id_number": "",
        },
    )
    response = client.post(reverse("households:create"), data)
    assert "家庭成员（不含户主）登记了2人" in response.content.decode()
    assert not Household.objects.exists()


def test_shrinking_the_family_below_its_members_is_refused_but_removing_them_too_is_not(
    api_client, township_user, household
):
    from households.models import Member

    Member.objects.create(household=household, name="甲乙", relation="child")
    Member.objects.create(household=household, name="丙丁", relation="child")
    api_client.force_authenticate(township_user)
    url = f"/api/households/{household.pk}/"
    response = api_client.patch(url, {"family_size": 1}, format="json")
    assert response.status_code == 400 and "家庭成员" in str(response.json())
    response = api_client.patch(url, {"family_size": 1, "members": []}, format="json")
    assert response.status_code == 200, response.content
    # A township's change of size and members waits for the county's confirmation.
    assert response.json()["pending_change"]["summary"].startswith("家庭人口：3 → 1；")
    household.refresh_from_db()
    assert household.family_size == 3 and household.members.count() == 2


def test_an_old_record_with_a_value_from_before_a_rule_can_still_be_edited(
    api_client, township_user, household
):
    """Rules apply to what changes: an old phone "abc" does not block a change of address."""
    Household.objects.filter(pk=household.pk).update(phone="abc")
    api_client.force_authenticate(township_user)
    response = api_client.patch(
        f"/api/households/{household.pk}/", {"address": "西村二组"}, format="json"
    )
    assert response.status_code == 200, response.content
