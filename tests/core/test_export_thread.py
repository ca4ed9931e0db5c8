"""Without a broker in development, a background download runs beside the request: the POST
returns at once and the page can show the bar moving."""

from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

from core import exports
from core.models import ExportJob

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_runs_in_a_thread_and_the_post_returns_first(
    client, official, settings, monkeypatch
):
    settings.ANJU_TASKS_IN_THREAD = True
    release = threading.Event()
    ledger = exports.get("ledger")
    real_run = ledger.run

    def slow_run(user, params, progress=None):
        progress(40, "写入中")
        assert release.wait(30)
        return real_run(user, params, progress)

    monkeypatch.setattr(ledger, "run", slow_run)
    client.force_login(official)
    response = client.post(reverse("export-start", args=["ledger"]), {})
    assert response.status_code == 302  # returned while the job is still being built
    job = ExportJob.objects.get()
    deadline = time.monotonic() + 30
    while job.progress < 40 and time.monotonic() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING and job.progress == 40
    release.set()
    while job.status == ExportJob.Status.RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.message


def test_tests_and_production_do_not_use_threads(settings):
    assert settings.ANJU_TASKS_IN_THREAD is False
