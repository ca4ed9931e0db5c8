"""Log lines: each once, 403s without a traceback, masking only what looks like an ID/card."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.log import DEFAULT_LOGGING, configure_logging

from core.logging import redact


def test_masking_spares_decimals_and_keeps_masking_ids():
    line = "Task reports.tasks.x[ab] succeeded in 184.13980000009994s: None"
    assert redact(line) == line
    assert redact("took 0.1234567890123456 s") == "took 0.1234567890123456 s"
    assert redact("身份证 110101199001011234 已核验") == "身份证 1101**********1234 已核验"
    assert redact("id=11010119900101123X.") == "id=1101**********123X."
    assert redact("卡号 6228480402564890018，") == "卡号 6228***********0018，"


@pytest.fixture
def app_logging():
    """The project's LOGGING as `runserver` applies it (after Django's defaults); every
    console handler writes into one buffer, as they would all write to the terminal."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logging.config.dictConfig(DEFAULT_LOGGING)
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    buffer = io.StringIO()
    for ref in logging._handlerList:  # noqa: SLF001 - every handler alive, wherever attached
        handler = ref()
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            handler.setStream(buffer)
    yield buffer
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_a_403_is_one_line_without_traceback(app_logging, client, official, household, settings):
    settings.DEBUG = True  # Django's own console handler only writes with DEBUG on
    client.force_login(official)
    response = client.post(reverse("households:delete", args=[household.pk]))
    assert response.status_code == 403
    err = app_logging.getvalue()
    lines = [line for line in err.splitlines() if "Forbidden" in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err


def test_a_line_of_the_app_is_written_once(app_logging, settings):
    settings.DEBUG = True
    logging.getLogger("django.template").warning("only once 42")
    logging.getLogger("renovation.services").warning("also once 43")
    err = app_logging.getvalue()
    assert err.count("only once 42") == 1 and err.count("also once 43") == 1


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.ico")
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in page and "img/favicon.ico" in page
