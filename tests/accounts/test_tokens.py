"""API tokens (#14 point 2): hashed at rest, expiring, revoked whenever the account changes,
listed and revoked by their owner."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services, tokens
from accounts.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIST = "/api/households/"
NEW_PASSWORD = "Another-pass-2027"


def _sign_in(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _works(token: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    status = client.get(LIST).status_code
    assert status in (200, 401)
    return status == 200


def test_each_sign_in_gives_a_new_expiring_token_stored_only_as_a_digest(township_user):
    first, second = _sign_in("township_a"), _sign_in("township_a")
    assert first != second and _works(first) and _works(second)
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        stored = " ".join(" ".join(row) for row in cursor.fetchall())
    assert first not in stored and second not in stored  # only digests and short prefixes
    expiries = AuthToken.objects.filter(user=township_user).values_list("expiry", flat=True)
    assert all(e is not None and e < timezone.now() + dt.timedelta(days=8) for e in expiries)


def test_the_old_clear_text_token_table_is_gone():
    assert "authtoken_token" not in connection.introspection.table_names()


def test_an_expired_token_is_refused(township_user):
    token = _sign_in("township_a")
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        assert not _works(token)


def test_wrong_password_gives_no_token(township_user):
    response = APIClient().post(
        "/api/auth/token/", {"username": "township_a", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_changing_ones_own_password_revokes_the_tokens(township_user):
    token = _sign_in("township_a")
    client = Client()
    client.force_login(township_user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not _works(token)
    assert _works(_sign_in("township_a", NEW_PASSWORD))


def test_a_reset_by_the_county_revokes_the_tokens(county_reviewer, township_user):
    token = _sign_in("township_a")
    services.staff_set_password(by=county_reviewer, user=township_user, password=NEW_PASSWORD)
    assert not _works(token)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"is_active": False}, id="deactivated"),
        pytest.param({"role": Role.VILLAGE_CLERK, "area": "village"}, id="role"),
        pytest.param({"area": "other_township"}, id="area"),
    ],
)
def test_a_change_of_the_account_revokes_its_tokens(
    change, county_reviewer, township_user, other_township_user, areas
):
    token, others = _sign_in("township_a"), _sign_in("township_b")
    fields = {
        "full_name": township_user.full_name,
        "role": township_user.role,
        "area": township_user.area,
        "is_active": True,
    }
    fields |= {k: areas[v] if k == "area" else v for k, v in change.items()}
    services.staff_update(by=county_reviewer, user=township_user, **fields)
    assert not _works(token)
    assert _works(others)  # another user's tokens are untouched


def test_an_edit_that_changes_nothing_that_matters_keeps_the_tokens(county_reviewer, township_user):
    token = _sign_in("township_a")
    services.staff_update(
        by=county_reviewer,
        user=township_user,
        full_name="新名字",
        role=township_user.role,
        area=township_user.area,
        is_active=True,
        phone="13800000000",
    )
    assert _works(token)


def test_signing_out_of_the_site_revokes_the_tokens(township_user):
    token = _sign_in("township_a")
    client = Client()
    client.force_login(township_user)
    assert client.post(reverse("logout")).status_code in (200, 302)
    assert not _works(token)


def test_api_logout_revokes_the_token_used_or_all(township_user):
    used, kept = _sign_in("township_a"), _sign_in("township_a")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {used}")
    assert client.post("/api/auth/logout/").status_code == 204
    assert not _works(used) and _works(kept)
    client.credentials(HTTP_AUTHORIZATION=f"Token {kept}")
    third = _sign_in("township_a")
    assert client.post("/api/auth/logout/?all=true").status_code == 204
    assert not _works(kept) and not _works(third)


def test_a_user_lists_and_revokes_their_own_tokens_only(township_user, other_township_user):
    mine, spare = _sign_in("township_a"), _sign_in("township_a")
    theirs = _sign_in("township_b")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {mine}")
    listed = client.get("/api/auth/tokens/").json()
    assert sorted(t["token_key"] for t in listed) == sorted([mine[:15], spare[:15]])
    assert [t["current"] for t in listed if t["token_key"] == mine[:15]] == [True]
    assert all("token" not in t and "digest" not in t for t in listed)
    # Another user's token is not found, and stays valid.
    assert client.delete(f"/api/auth/tokens/{theirs[:15]}/").status_code == 404
    assert _works(theirs)
    assert client.delete(f"/api/auth/tokens/{spare[:15]}/").status_code == 204
    assert not _works(spare) and _works(mine)


def test_the_number_of_tokens_per_user_is_bounded(settings, township_user):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    _sign_in("township_a"), _sign_in("township_a")
    response = APIClient().post(
        "/api/auth/token/", {"username": "township_a", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert "最多同时持有 2 个令牌" in response.json()["detail"]


def test_revocation_covers_every_way_a_user_is_saved(township_user):
    """Admin, `create_staff` and the shell save users too: the signal, not the page, revokes."""
    token = _sign_in("township_a")
    township_user.set_password(NEW_PASSWORD)
    township_user.save()
    assert not _works(token)
    assert tokens.live(township_user).count() == 0
