"""A real Celery worker on the real Redis runs a job that the app enqueued through the broker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app
from core.models import ExportJob
from core.tasks import run_export
from tests.factories import HouseholdFactory

BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    host_port = BROKER.split("//", 1)[1].split("/", 1)[0].split("@")[-1]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


def _database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or ""
    netloc_host = quote(host, safe="") if host.startswith("/") else host
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{netloc_host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {BROKER}")
        pytest.skip(f"Redis is not reachable at {BROKER} (CI runs this test)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "ANJU_TESTING": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                "anju-test",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.django_db(transaction=True)
def test_job_runs_on_a_real_worker_through_redis(worker, township_user, areas):
    HouseholdFactory(village=areas["village"], head_name="经由队列")
    job = ExportJob.objects.create(kind="households", params={}, created_by=township_user)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        # An explicit connection and queue: the app's cached broker settings may differ.
        with app.connection_for_write(BROKER) as conn:
            run_export.apply_async(args=[str(job.pk)], connection=conn, queue="anju-test")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status in ("done", "failed"):
                break
            time.sleep(0.3)
    finally:
        app.conf.task_always_eager = previous
    assert job.status == "done", worker.read_text()[-3000:]
    assert job.file and job.progress == 100
    assert "run_export" in worker.read_text()
