"""账号管理: the county opens, changes and closes township and village accounts of its own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User, UserEvent
from tests.conftest import PASSWORD
from tests.factories import UserFactory, area

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Qiao-2026-anju"


def _can_sign_in(username: str, password: str) -> bool:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def _create(client, **fields):
    data = {
        "username": "xiaowang",
        "full_name": "王小",
        "role": Role.TOWNSHIP_STAFF,
        "area": "141124100000",
        "phone": "13800000000",
        "email": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **fields,
    }
    return client.post(reverse("accounts:staff_create"), data, follow=True)


def test_reviewer_opens_a_township_account_that_can_sign_in(client, county_reviewer):
    client.force_login(county_reviewer)
    page = _create(client).content.decode()
    assert "已开设账号 xiaowang" in page
    user = User.objects.get(username="xiaowang")
    assert (user.role, user.area_id, user.full_name) == (
        Role.TOWNSHIP_STAFF,
        "141124100000",
        "王小",
    )
    event = UserEvent.objects.get(pgh_obj=user, pgh_label="insert")
    assert event.pgh_context["user"] == county_reviewer.pk
    assert _can_sign_in("xiaowang", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": Role.COUNTY_REVIEWER}, "选择一个有效的选项"),  # not offered at all
        ({"role": Role.TOWNSHIP_STAFF, "area": "141124100201"}, "必须属于乡镇"),
        ({"role": Role.VILLAGE_CLERK, "area": "141124100000"}, "必须属于行政村"),
        ({"password1": "12345678", "password2": "12345678"}, "密码不符合要求"),
        ({"password2": "Other-2026-anju"}, "两次输入的密码不一致"),
        ({"username": "reviewer"}, "已被使用"),
    ],
)
def test_refusals_are_clear_and_create_nothing(client, county_reviewer, fields, message):
    client.force_login(county_reviewer)
    before = User.objects.count()
    page = _create(client, **fields).content.decode()
    assert message in page
    assert User.objects.count() == before


def test_another_countys_area_cannot_be_chosen(client, county_reviewer):
    other = area("141125100000", "邻县某镇", area("141125000000", "邻县"))
    client.force_login(county_reviewer)
    page = _create(client, area=other.code).content.decode()
    assert "请选择本辖区内的区划" in page
    assert not User.objects.filter(username="xiaowang").exists()


def test_county_accounts_are_not_managed_here(client, county_reviewer, county_approver):
    client.force_login(county_reviewer)
    page = client.get(reverse("accounts:staff_list")).content.decode()
    assert "approver" not in page
    assert client.get(reverse("accounts:staff_edit", args=[county_approver.pk])).status_code == 404


def test_deactivating_an_account_signs_it_out_and_is_in_the_history(
    client, county_reviewer, township_user
):
    staff = Client()
    staff.force_login(township_user)
    assert staff.get(reverse("home")).status_code == 200
    client.force_login(county_reviewer)
    client.post(
        reverse("accounts:staff_edit", args=[township_user.pk]),
        {"full_name": "甲", "role": Role.TOWNSHIP_STAFF, "area": "141124100000"},  # unchecked
    )
    township_user.refresh_from_db()
    assert not township_user.is_active
    assert staff.get(reverse("home")).status_code == 302  # signed out on the next request
    event = UserEvent.objects.filter(pgh_obj=township_user, pgh_label="update").latest("pgh_id")
    assert event.is_active is False and event.pgh_context["user"] == county_reviewer.pk


def test_password_reset_works_and_is_recorded(client, county_reviewer, township_user):
    client.force_login(county_reviewer)
    response = client.post(
        reverse("accounts:staff_password", args=[township_user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert "已重置 township_a 的密码" in response.content.decode()
    assert _can_sign_in("township_a", NEW_PASSWORD)
    assert not _can_sign_in("township_a", PASSWORD)
    event = UserEvent.objects.filter(pgh_obj=township_user, pgh_label="update").latest("pgh_id")
    assert event.pgh_context["user"] == county_reviewer.pk


def test_signing_in_adds_no_history_event(township_user):
    before = UserEvent.objects.filter(pgh_obj=township_user).count()
    assert _can_sign_in("township_a", PASSWORD)
    assert UserEvent.objects.filter(pgh_obj=township_user).count() == before


def test_only_county_reviewers_manage_accounts(client, township_user, county_approver):
    for user in (township_user, county_approver):
        client.force_login(user)
        assert client.get(reverse("accounts:staff_list")).status_code == 403
    client.force_login(township_user)
    page = client.get(reverse("home")).content.decode()
    assert reverse("accounts:staff_list") not in page


def test_list_is_searchable_and_scoped(client, county_reviewer, township_user, areas):
    other = area("141125100000", "邻县某镇", area("141125000000", "邻县"))
    UserFactory(username="outsider", role=Role.TOWNSHIP_STAFF, area=other)
    UserFactory(username="clerk_w", role=Role.VILLAGE_CLERK, area=areas["village2"])
    client.force_login(county_reviewer)
    page = client.get(reverse("accounts:staff_list")).content.decode()
    assert "township_a" in page and "clerk_w" in page and "outsider" not in page
    page = client.get(reverse("accounts:staff_list"), {"q": "西村"}).content.decode()
    assert "clerk_w" in page and "township_a" not in page


def test_a_name_taken_at_the_same_moment_is_a_clear_refusal(county_reviewer, monkeypatch):
    from accounts import services
    from core.errors import DomainError

    UserFactory(username="racer", role=Role.TOWNSHIP_STAFF, area_id="141124100000")
    monkeypatch.setattr(services, "_name_taken", lambda name: False)  # checked before it existed
    with pytest.raises(DomainError, match="已被使用"):
        services.staff_create(
            by=county_reviewer,
            username="racer",
            full_name="甲",
            role=Role.TOWNSHIP_STAFF,
            area=county_reviewer.area.children.get(code="141124100000"),
            password=NEW_PASSWORD,
        )
    assert User.objects.filter(username="racer").count() == 1


# --- Issue 17: the city manages its counties' accounts, the province its cities' ---------------


def test_city_reviewer_opens_county_accounts_of_its_own_city_only(client, city_reviewer):
    client.force_login(city_reviewer)
    page = _create(
        client, username="xian2", role=Role.COUNTY_REVIEWER, area="141125000000"
    ).content.decode()
    assert "已开设账号 xian2" in page
    assert User.objects.get(username="xian2").area_id == "141125000000"
    # Another city's county, a township account, or a colleague with the city's own powers:
    for fields, message in (
        ({"role": Role.COUNTY_REVIEWER, "area": "140921000000"}, "请选择本辖区内的区划"),
        ({"role": Role.TOWNSHIP_STAFF, "area": "141124100000"}, "选择一个有效的选项"),
        ({"role": Role.CITY_REVIEWER, "area": "141100000000"}, "选择一个有效的选项"),
    ):
        page = _create(client, username="nobody", **fields).content.decode()
        assert message in page, fields
    assert not User.objects.filter(username="nobody").exists()


def test_province_reviewer_opens_city_accounts(client, province_reviewer):
    client.force_login(province_reviewer)
    page = _create(
        client, username="shi2", role=Role.CITY_REVIEWER, area="140900000000"
    ).content.decode()
    assert "已开设账号 shi2" in page
    user = User.objects.get(username="shi2")
    assert (user.role, user.area_id) == (Role.CITY_REVIEWER, "140900000000")


def test_city_users_read_both_counties_and_county_users_only_their_own(
    client, city_areas, city_official, county_reviewer, county2_reviewer
):
    from tests.factories import HouseholdFactory

    mine = HouseholdFactory(village=city_areas["village"], head_name="甲户")
    theirs = HouseholdFactory(village=city_areas["county2_village"], head_name="乙户")
    far = HouseholdFactory(village=city_areas["far_village"], head_name="远户")
    client.force_login(city_official)
    page = client.get(reverse("households:list")).content.decode()
    assert "甲户" in page and "乙户" in page and "远户" not in page
    assert client.get(reverse("households:detail", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("households:detail", args=[far.pk])).status_code == 404
    client.force_login(county_reviewer)
    assert client.get(reverse("households:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("households:detail", args=[theirs.pk])).status_code == 404
    client.force_login(county2_reviewer)
    assert client.get(reverse("households:detail", args=[mine.pk])).status_code == 404


def test_create_staff_accepts_city_and_province_accounts(city_areas):
    from django.core.management import call_command

    call_command(
        "create_staff",
        "shi",
        "--role",
        "city_official",
        "--area",
        "141100000000",
        "--password",
        "Qiao-2026-anju",
    )
    assert User.objects.get(username="shi").role == Role.CITY_OFFICIAL
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="须属于"):
        call_command(
            "create_staff",
            "sheng",
            "--role",
            "province_reviewer",
            "--area",
            "141100000000",
            "--password",
            "Qiao-2026-anju",
        )
