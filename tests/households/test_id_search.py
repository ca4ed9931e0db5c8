"""#14 point 7: a full ID number searched for never travels in a query string, and the access
log masks one that still does (an old bookmark, a hand-typed address)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from core import crypto
from tests.conftest import full_numbers_in

pytestmark = pytest.mark.django_db

LIST = reverse("households:list")


def test_the_search_form_is_posted_and_the_address_carries_a_token(
    client, township_user, household, other_household
):
    client.force_login(township_user)
    form = client.get(LIST).content.decode()
    assert 'method="post" class="filters card"' in form
    response = client.post(LIST, {"q": f" {household.id_number} ", "village": ""})
    assert response.status_code == 302
    location = response["Location"]
    assert household.id_number not in location and household.id_number[6:14] not in location
    assert location == f"{LIST}?idt={crypto.search_hash(household.id_number)}"
    page = client.get(location).content.decode()
    assert "张三" in page and "id-search-note" in page
    # Another township's household is not found by its number either.
    response = client.post(LIST, {"q": other_household.id_number}, follow=True)
    assert "李四" not in response.content.decode()
    assert "共 0 户" in response.content.decode()


def test_other_filters_survive_the_post(client, township_user, household, areas):
    client.force_login(township_user)
    response = client.post(LIST, {"q": "张", "village": areas["village"].code, "page": "3"})
    assert response["Location"] == f"{LIST}?q=%E5%BC%A0&village={areas['village'].code}"


def test_an_address_with_a_full_id_number_is_turned_into_a_token(client, official, household):
    client.force_login(official)  # read-only roles search too
    response = client.get(LIST, {"q": household.id_number, "category": household.category})
    assert response.status_code == 302
    assert household.id_number not in response["Location"]
    assert "idt=" in response["Location"] and "category=" in response["Location"]
    assert client.post(LIST, {"q": household.id_number}, follow=True).status_code == 200


def test_api_refuses_a_full_id_number_in_the_query_and_finds_it_by_post(
    api_client, township_user, official, household, other_household
):
    api_client.force_authenticate(township_user)
    response = api_client.get("/api/households/", {"q": household.id_number})
    assert response.status_code == 400
    assert "POST /api/households/find/" in response.json()["q"][0]
    assert api_client.get("/api/households/", {"q": household.id_number[-4:]}).status_code == 200
    found = api_client.post(
        "/api/households/find/", {"id_number": household.id_number}, format="json"
    )
    assert found.status_code == 200 and [h["id"] for h in found.json()] == [household.pk]
    hidden = api_client.post(
        "/api/households/find/", {"id_number": other_household.id_number}, format="json"
    )
    assert hidden.status_code == 200 and hidden.json() == []
    bad = api_client.post("/api/households/find/", {"id_number": "1234"}, format="json")
    assert bad.status_code == 400 and "18 位" in bad.json()["id_number"][0]
    api_client.force_authenticate(official)
    found = api_client.post(
        "/api/households/find/", {"id_number": household.id_number}, format="json"
    )
    assert found.status_code == 200 and len(found.json()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_access_log_masks_id_numbers(tmp_path, household):
    """A real gunicorn with the project's config: the number in the query (plain and
    percent-encoded) and in the Referer is masked in the access line."""
    number = household.id_number
    log = tmp_path / "access.log"
    port = _free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    server = subprocess.Popen(
        [gunicorn, "-c", "config/gunicorn.conf.py", "config.wsgi"],
        env={
            **os.environ,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_ACCESS_LOG": str(log),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        encoded = "".join(f"%{ord(c):02X}" for c in number)
        urls = [f"/favicon.ico?q={number}", f"/favicon.ico?q={encoded}"]
        for path in urls:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                headers={"Referer": f"http://example/households/?q={number}"},
            )
            for _ in range(100):
                try:
                    urllib.request.urlopen(request, timeout=5).read()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
        for _ in range(50):
            if log.exists() and log.read_text().count("favicon") >= 2:
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    assert text.count("favicon.ico") >= 2
    assert full_numbers_in(text) == [] and number not in text
    assert number[:4] + "*" * 10 + number[-4:] in text
