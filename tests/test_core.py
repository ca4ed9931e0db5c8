from __future__ import annotations

import logging

import pytest

from core.crypto import mask, search_hash
from core.logging import redact
from core.validators import id_number_error
from tests.factories import make_id_number


def test_id_checksum():
    good = make_id_number()
    assert id_number_error(good) is None
    assert id_number_error(good[:17] + ("0" if good[17] != "0" else "1")) == "身份证号校验位错误"
    assert "18位" in id_number_error(good[:-1])
    assert id_number_error("11010519491231002X") is None  # the standard's own example
    assert id_number_error("110105194913310021") == "身份证号中的出生日期无效"


def test_mask_and_hash():
    assert mask("141124199001011234") == "141124********1234"
    assert search_hash("141124199001011234") == search_hash(" 141124199001011234 ")
    assert search_hash("11010519491231002x") == search_hash("11010519491231002X")


def test_log_redaction(caplog):
    number = "141124199001011234"
    assert number not in redact(f"saved {number} and card 6217000011112222333")
    logger = logging.getLogger("anju.test")
    from core.logging import RedactSensitiveNumbers

    handler_filter = RedactSensitiveNumbers()
    record = logger.makeRecord("anju.test", logging.INFO, __file__, 1, "id %s", (number,), None)
    handler_filter.filter(record)
    assert number not in record.getMessage()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/households/?q=%00", "/api/households/?q=a%00b", "/accounts/login/?next=%00"],
)
def test_nul_byte_in_query_is_400(client, township_user, path):
    client.force_login(township_user)
    assert client.get(path).status_code == 400


@pytest.mark.django_db
def test_nul_byte_in_json_body_is_400(api_client, township_user):
    api_client.force_authenticate(township_user)
    response = api_client.post(
        "/api/households/", data='{"head_name": "a\\u0000b"}', content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_login_lockout_after_repeated_failures(client, township_user):
    for _ in range(5):
        client.post("/accounts/login/", {"username": township_user.username, "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"username": township_user.username, "password": "Anju-pass-2026"}
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_log_scan_finds_ids_and_card_numbers():
    from tests.conftest import full_numbers_in

    good = make_id_number()
    assert full_numbers_in(f"saved {good} ok") == [good]
    assert full_numbers_in("masked 141124********1234 only") == []
    assert full_numbers_in("card 6217000011112222333") == ["6217000011112222333"]
    # A fuzzed float in a URL is not a card number (CI saw `/api/campaigns/1.6269…e-08/`).
    assert full_numbers_in("Not Found: /api/campaigns/1.6269221234567890123e-08/") == []
    assert full_numbers_in("took 6217000011112222.5 s") == []
    assert full_numbers_in(f"at the end of a sentence: {good}.") == [good]


@pytest.mark.django_db
def test_session_expires_after_the_working_day(client, township_user):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(township_user)
        assert client.get("/households/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=9), tick=False):
        response = client.get("/households/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_broker_visibility_timeout_exceeds_every_task_delay(settings):
    """A task is not delivered twice while it still waits or retries (Redis redelivers after it)."""
    from config.celery import app

    app.loader.import_default_modules()
    longest = 0
    for task in app.tasks.values():
        if getattr(task, "autoretry_for", None):
            backoff_max = getattr(task, "retry_backoff_max", 600)
            longest = max(longest, backoff_max * (getattr(task, "max_retries", 3) or 3))
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest
