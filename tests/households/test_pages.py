from __future__ import annotations

import pytest
from django.urls import reverse

from households.models import Category, Household
from tests.factories import HouseholdFactory, make_id_number

pytestmark = pytest.mark.django_db


def _form_data(village, **overrides):
    data = {
        "village": village.code,
        "head_name": "王五",
        "id_number": make_id_number(),
        "phone": "13900000000",
        "address": "东村一组3号",
        "family_size": "4",
        "category": Category.AT_RISK,
        "identified_by": "xiangcun",
        "identified_on": "2026-03-01",
        "bank_account": "6217000011112222333",
        "bank_name": "农商银行",
        "note": "",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-name": "王小五",
        "members-0-relation": "child",
        "members-0-id_number": "",
    }
    data.update(overrides)
    return data


def test_list_is_scoped_and_searchable(client, township_user, areas):
    HouseholdFactory(village=areas["village"], head_name="张三")
    HouseholdFactory(village=areas["village2"], head_name="张四")
    HouseholdFactory(village=areas["other_village"], head_name="张五")
    client.force_login(township_user)

    page = client.get(reverse("households:list")).content.decode()
    assert "张三" in page and "张四" in page and "张五" not in page

    page = client.get(
        reverse("households:list"), {"village": areas["village2"].code}
    ).content.decode()
    assert "张四" in page and "张三" not in page


def test_search_by_id_tail_and_full_id(client, township_user, areas):
    target = HouseholdFactory(village=areas["village"], head_name="赵六")
    HouseholdFactory(village=areas["village"], head_name="钱七")
    client.force_login(township_user)
    tail = target.id_number[-4:]
    page = client.get(reverse("households:list"), {"q": tail}).content.decode()
    assert "赵六" in page
    page = client.post(reverse("households:list"), {"q": target.id_number}, follow=True)
    assert "赵六" in page.content.decode() and "钱七" not in page.content.decode()


def test_list_masks_id_numbers(client, township_user, household):
    client.force_login(township_user)
    page = client.get(reverse("households:list")).content.decode()
    assert household.id_number not in page
    assert household.id_number_masked in page
    assert (
        household.id_number_masked == household.id_number[:6] + "*" * 8 + household.id_number[-4:]
    )


def test_county_sees_whole_county(client, county_reviewer, household, other_household):
    client.force_login(county_reviewer)
    page = client.get(reverse("households:list")).content.decode()
    assert "张三" in page and "李四" in page


def test_other_township_detail_and_edit_are_404(client, township_user, other_household):
    client.force_login(township_user)
    assert client.get(other_household.get_absolute_url()).status_code == 404
    assert client.get(reverse("households:edit", args=[other_household.pk])).status_code == 404
    response = client.post(
        reverse("households:edit", args=[other_household.pk]),
        _form_data(other_household.village),
    )
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, household):
    response = client.get(reverse("households:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_official_reads_but_cannot_write(client, official, household, areas):
    client.force_login(official)
    assert client.get(household.get_absolute_url()).status_code == 200
    assert client.get(reverse("households:create")).status_code == 403
    before = Household.objects.count()
    assert (
        client.post(reverse("households:create"), _form_data(areas["village"])).status_code == 403
    )
    assert Household.objects.count() == before
    response = client.post(
        reverse("households:edit", args=[household.pk]), _form_data(household.village)
    )
    assert response.status_code == 403


def test_create_household_with_member(client, township_user, areas):
    client.force_login(township_user)
    data = _form_data(areas["village"])
    response = client.post(reverse("households:create"), data)
    assert response.status_code == 302
    household = Household.objects.get(head_name="王五")
    assert household.id_number == data["id_number"]
    assert household.created_by == township_user
    assert [m.name for m in household.members.all()] == ["王小五"]
    assert household.bank_account_masked == "6217***********2333"


def test_create_refuses_bad_checksum_with_chinese_message(client, township_user, areas):
    client.force_login(township_user)
    good = make_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post(
        reverse("households:create"), _form_data(areas["village"], id_number=bad)
    )
    assert response.status_code == 200
    assert "身份证号校验位错误" in response.content.decode()
    assert not Household.objects.filter(head_name="王五").exists()


def test_create_refuses_village_of_another_township(client, township_user, areas):
    client.force_login(township_user)
    response = client.post(reverse("households:create"), _form_data(areas["other_village"]))
    assert response.status_code == 200
    assert not Household.objects.filter(head_name="王五").exists()


def test_create_refuses_duplicate_id_in_county(
    client, township_user, county_reviewer, areas, other_household
):
    client.force_login(township_user)
    response = client.post(
        reverse("households:create"),
        _form_data(areas["village"], id_number=other_household.id_number),
    )
    assert response.status_code == 200
    assert "本县已有身份证号相同的农户" in response.content.decode()
    assert Household.objects.filter(id_number_hash=other_household.id_number_hash).count() == 1


def test_edit_keeps_id_when_blank_and_records_history(client, township_user, household):
    client.force_login(township_user)
    original_id = household.id_number
    data = _form_data(
        household.village,
        head_name=household.head_name,
        id_number="",
        bank_account="",
        phone="13711112222",
        version=str(household.version),
        category=household.category,
        **{"members-TOTAL_FORMS": "0"},
    )
    response = client.post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 302, response.content.decode()
    household.refresh_from_db()
    assert household.phone == "13711112222"
    assert household.id_number == original_id
    assert household.version == 2

    page = client.get(household.get_absolute_url()).content.decode()
    history = page[page.index('id="history"') :]
    assert "联系电话" in history
    assert "13800000000" in history and "13711112222" in history
    assert township_user.display_name in history


def test_stale_edit_is_refused(client, township_user, household):
    client.force_login(township_user)
    data = _form_data(
        household.village,
        head_name="新名字",
        id_number="",
        version=str(household.version),
        category=household.category,
        **{"members-TOTAL_FORMS": "0"},
    )
    Household.objects.filter(pk=household.pk).update(version=household.version + 1)
    response = client.post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    household.refresh_from_db()
    assert household.head_name == "张三"


def test_list_query_count_does_not_grow_with_page_size(
    client, township_user, areas, django_assert_max_num_queries
):
    HouseholdFactory.create_batch(5, village=areas["village"])
    client.force_login(township_user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("households:list"), {"page_size": 5})
    HouseholdFactory.create_batch(40, village=areas["village2"])
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("households:list"), {"page_size": 45})
    assert response.context["paginator"].count == 45
    assert len(large) == len(small)
    with django_assert_max_num_queries(len(small)):
        client.get(reverse("households:list"), {"page_size": 45})


def test_reveal_full_number_is_logged_and_limited(
    client, county_reviewer, township_user, household
):
    from households.models import SensitiveAccessLog

    url = reverse("households:reveal", args=[household.pk, "id_number"])
    client.force_login(township_user)
    assert client.post(url).status_code == 403
    client.force_login(county_reviewer)
    response = client.post(url)
    assert response.json()["value"] == household.id_number
    log = SensitiveAccessLog.objects.get()
    assert (log.user, log.household, log.field) == (county_reviewer, household, "id_number")


def test_id_number_is_encrypted_at_rest(household):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, bank_account FROM households_household WHERE id = %s", [household.pk]
        )
        stored_id, stored_account = cursor.fetchone()
    assert household.id_number not in stored_id
    assert household.bank_account not in stored_account


def test_deactivated_user_is_signed_out_on_next_request(client, township_user, household):
    client.force_login(township_user)
    assert client.get(reverse("households:list")).status_code == 200
    township_user.is_active = False
    township_user.save()
    response = client.get(reverse("households:list"))
    assert response.status_code == 302


def test_role_change_takes_effect_on_next_request(client, township_user, household, areas):
    client.force_login(township_user)
    assert client.get(reverse("households:create")).status_code == 200
    township_user.role = "official"
    township_user.save()
    assert client.get(reverse("households:create")).status_code == 403


def test_delete_needs_confirmation_and_is_audited(client, township_user, household):
    from households.models import HouseholdEvent

    client.force_login(township_user)
    url = reverse("households:delete", args=[household.pk])
    page = client.get(url).content.decode()
    assert "确认删除" in page and Household.objects.filter(pk=household.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Household.objects.filter(pk=household.pk).exists()
    event = HouseholdEvent.objects.get(pgh_obj_id=household.pk, pgh_label="delete")
    assert event.pgh_context["user"] == township_user.pk


def test_village_clerk_cannot_delete(client, village_clerk, household):
    client.force_login(village_clerk)
    assert client.post(reverse("households:delete", args=[household.pk])).status_code == 403
    assert Household.objects.filter(pk=household.pk).exists()


def test_home_shows_emergencies_of_own_area_only(client, township_user, household, other_household):
    import datetime as dt

    from tests.inspections.factories import AppraisalFactory, InspectionFactory

    for h in (household, other_household):
        AppraisalFactory(household=h, level="D", appraised_on=dt.date(2026, 6, 1))
        InspectionFactory(household=h, occupied=True, inspected_on=dt.date(2026, 7, 1))
    client.force_login(township_user)
    page = client.get(reverse("home")).content.decode()
    assert 'id="emergency-total" class="tag danger">1<' in page
