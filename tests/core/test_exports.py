from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import ExportJob
from core.services import export_run
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def _start(client, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export-start", args=["households"]), params)
    assert response.status_code == 302
    return ExportJob.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def _rows(client, job):
    response = client.get(reverse("export-download", args=[job.pk]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_household_export_is_scoped_masked_and_filtered(
    client, township_user, areas, django_capture_on_commit_callbacks
):
    mine = HouseholdFactory(village=areas["village"], head_name="本镇户", category="dibao")
    HouseholdFactory(village=areas["village"], head_name="本镇特困", category="tekun")
    HouseholdFactory(village=areas["other_village"], head_name="外镇户")
    client.force_login(township_user)

    job = _start(client, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    rows = _rows(client, job)
    assert rows[0][:4] == ["乡镇", "村", "户主姓名", "户主身份证号"]
    names = {r[2] for r in rows[1:]}
    assert names == {"本镇户", "本镇特困"}
    row = next(r for r in rows if r[2] == "本镇户")
    assert row[3] == mine.id_number_masked
    assert mine.id_number not in str(rows) and mine.bank_account not in str(rows)

    job = _start(client, django_capture_on_commit_callbacks, category="tekun")
    assert {r[2] for r in _rows(client, job)[1:]} == {"本镇特困"}


def test_export_progress_page_and_status(
    client, township_user, household, django_capture_on_commit_callbacks
):
    client.force_login(township_user)
    job = _start(client, django_capture_on_commit_callbacks)
    page = client.get(reverse("export-detail", args=[job.pk])).content.decode()
    assert "progressbar" in page and "下载文件" in page
    status = client.get(reverse("export-status", args=[job.pk])).json()
    assert status["status"] == "done" and status["progress"] == 100
    assert status["download_url"].endswith("/download/")


def test_other_users_job_is_404(
    client, township_user, other_township_user, household, django_capture_on_commit_callbacks
):
    client.force_login(township_user)
    job = _start(client, django_capture_on_commit_callbacks)
    client.force_login(other_township_user)
    for name in ("export-detail", "export-status", "export-download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_official_may_export(client, official, household, django_capture_on_commit_callbacks):
    client.force_login(official)
    job = _start(client, django_capture_on_commit_callbacks)
    assert {r[2] for r in _rows(client, job)[1:]} == {"张三"}


def test_expired_file_is_410(client, township_user, household, django_capture_on_commit_callbacks):
    client.force_login(township_user)
    job = _start(client, django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("export-status", args=[job.pk])).json()["download_url"] is None
    stored = job.file.path
    response = client.get(reverse("export-download", args=[job.pk]))
    assert response.status_code == 410
    # Deleted, not only hidden: the file leaves the storage with its job.
    assert not os.path.exists(stored) and not ExportJob.objects.filter(pk=job.pk).exists()


def test_job_runs_once_even_if_delivered_twice(township_user, household):
    job = ExportJob.objects.create(kind="households", params={}, created_by=township_user)
    export_run(job_id=str(job.pk))
    first = ExportJob.objects.get(pk=job.pk)
    export_run(job_id=str(job.pk))
    second = ExportJob.objects.get(pk=job.pk)
    assert first.file.name == second.file.name and second.status == "done"


def test_rolled_back_request_enqueues_nothing(township_user, household, monkeypatch):
    from django.db import transaction

    from core import tasks
    from core.services import export_start

    calls = []
    monkeypatch.setattr(tasks.run_export, "delay", lambda *a: calls.append(a))
    with pytest.raises(RuntimeError), transaction.atomic():
        export_start(kind="households", params={}, by=township_user)
        raise RuntimeError("boom")
    assert calls == []
    assert not ExportJob.objects.exists()


def test_anonymous_redirected(client, household):
    response = client.post(reverse("export-start", args=["households"]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_job_of_a_worker_killed_half_way_is_taken_over_once(township_user, household):
    """A worker died after claiming: once its heartbeat is stale, a delivery finishes the job,
    and only once."""
    stale = timezone.now() - timedelta(minutes=5)
    job = ExportJob.objects.create(
        kind="households",
        params={},
        created_by=township_user,
        status="running",
        started_at=stale,
        heartbeat_at=stale,
        attempts=1,
    )
    assert export_run(job_id=str(job.pk)) == "done"
    job.refresh_from_db()
    assert job.status == "done" and job.file and job.attempts == 2
    first_file = job.file.name
    assert export_run(job_id=str(job.pk)) == "skipped"  # the original delivery, arriving late
    job.refresh_from_db()
    assert job.file.name == first_file


def test_fresh_running_job_is_left_alone(township_user, household):
    """A job whose heartbeat is recent is someone else's: the delivery answers "busy" (its
    task looks again later), even if the job started long ago."""
    job = ExportJob.objects.create(
        kind="households",
        params={},
        created_by=township_user,
        status="running",
        started_at=timezone.now() - timedelta(hours=3),
        heartbeat_at=timezone.now() - timedelta(seconds=5),
    )
    assert export_run(job_id=str(job.pk)) == "busy"
    job.refresh_from_db()
    assert job.status == "running" and not job.file


def test_a_job_that_keeps_killing_its_workers_fails_with_a_clear_message(
    client, township_user, household, django_capture_on_commit_callbacks
):
    stale = timezone.now() - timedelta(minutes=5)
    job = ExportJob.objects.create(
        kind="households",
        params={"q": "张三"},
        created_by=township_user,
        status="running",
        started_at=stale,
        heartbeat_at=stale,
        attempts=3,
    )
    assert export_run(job_id=str(job.pk)) == "skipped"
    job.refresh_from_db()
    assert job.status == "failed" and "请重新导出" in job.message and not job.file
    client.force_login(township_user)
    page = client.get(reverse("export-detail", args=[job.pk])).content.decode()
    assert "请重新导出" in page and 'id="export-retry"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export-retry", args=[job.pk]))
    new = ExportJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response.url == reverse("export-detail", args=[new.pk])
    assert new.status == "done" and new.params["q"] == "张三"  # eager in tests


def test_sweeper_requeues_or_fails_jobs_that_stopped_beating(township_user, household, monkeypatch):
    from core import services

    sent = []
    monkeypatch.setattr(services, "_enqueue_export", sent.append)
    stale = timezone.now() - timedelta(minutes=5)
    common = {"kind": "households", "created_by": township_user, "status": "running"}
    retry = ExportJob.objects.create(**common, started_at=stale, heartbeat_at=stale, attempts=1)
    spent = ExportJob.objects.create(**common, started_at=stale, heartbeat_at=stale, attempts=3)
    alive = ExportJob.objects.create(
        **common, started_at=stale, heartbeat_at=timezone.now(), attempts=1
    )
    assert services.exports_sweep_stalled() == 2
    assert sent == [str(retry.pk)]
    assert ExportJob.objects.get(pk=spent.pk).status == "failed"
    assert ExportJob.objects.get(pk=alive.pk).status == "running"


@pytest.mark.django_db(transaction=True)  # the heartbeat writes through its own connection
def test_the_heartbeat_beats_while_a_long_step_reports_nothing(
    township_user, settings, monkeypatch
):
    """One long step (a big PDF) without progress calls still keeps the job alive."""
    import time

    from core import exports, services

    settings.ANJU_EXPORT_HEARTBEAT_SECONDS = 0.2
    beats = []

    class Slow(exports.Exporter):
        key = "test-slow"

        def run(self, user, params, progress):
            job = ExportJob.objects.get(kind="test-slow")
            first = job.heartbeat_at
            time.sleep(1.0)
            beats.append((first, ExportJob.objects.get(pk=job.pk).heartbeat_at))
            return exports.ExportResult(b"x", "x.txt", "text/plain")

    monkeypatch.setitem(exports.REGISTRY, "test-slow", Slow())
    job = ExportJob.objects.create(kind="test-slow", created_by=township_user)
    assert services.export_run(job_id=str(job.pk)) == "done"
    first, later = beats[0]
    assert later > first


@pytest.mark.parametrize("change", ["area", "role", "deactivated"])
def test_job_of_a_user_moved_re_roled_or_deactivated_since_is_refused(
    township_user, areas, household, change
):
    from accounts.models import Role
    from core.services import export_start

    job = export_start(kind="households", params={}, by=township_user)
    if change == "area":
        township_user.area = areas["other_township"]
    elif change == "role":
        township_user.role = Role.OFFICIAL
    else:
        township_user.is_active = False
    township_user.save()
    export_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and not job.file
