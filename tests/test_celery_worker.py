"""A real Celery worker on the real Redis runs a job that the app enqueued through the broker."""

from __future__ import annotations

import contextlib
import os
import signal
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
from core import crypto
from core.models import ExportJob
from core.tasks import run_export
from tests.factories import HouseholdFactory

BROKER = settings.ANJU_TEST_BROKER_URL


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


@contextlib.contextmanager
def _worker(log: Path, *, queue: str, pool: list[str], settings_module: str, **env_extra):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {BROKER}")
        pytest.skip(f"Redis is not reachable at {BROKER} (CI runs this test)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "ANJU_TESTING": "1",
        **env_extra,
    }
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                *pool,
                "--loglevel=INFO",
                "-Q",
                queue,
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
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def worker(tmp_path):
    log = tmp_path / "worker.log"
    with _worker(
        log, queue="anju-test", pool=["--pool=solo"], settings_module="config.settings_test"
    ):
        yield log


def _send(job, queue: str) -> None:
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        # An explicit connection and queue: the app's cached broker settings may differ.
        with app.connection_for_write(BROKER) as conn:
            run_export.apply_async(args=[str(job.pk)], connection=conn, queue=queue)
    finally:
        app.conf.task_always_eager = previous


def _wait(job, until, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if until(job):
            return
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_job_runs_on_a_real_worker_through_redis(worker, township_user, areas):
    HouseholdFactory(village=areas["village"], head_name="经由队列")
    job = ExportJob.objects.create(kind="households", params={}, created_by=township_user)
    _send(job, "anju-test")
    _wait(job, lambda j: j.status in ("done", "failed"), 60)
    assert job.status == "done", worker.read_text()[-3000:]
    assert job.file and job.progress == 100
    assert "run_export" in worker.read_text()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_is_taken_over_and_the_job_finishes(tmp_path, township_user):
    """#14 point 6: SIGKILL of the pool process that builds the file. Celery redelivers the
    task (reject on worker lost); the redelivery finds the job still beating, looks again once
    the heartbeat is stale, takes the job over and finishes it: no bar frozen for ever."""
    log = tmp_path / "worker.log"
    job = ExportJob.objects.create(kind="test-slow", params={"steps": 40}, created_by=township_user)
    with _worker(
        log,
        queue="anju-test-kill",
        pool=["--pool=prefork", "--concurrency=1"],
        settings_module="tests.worker_app.settings",
        ANJU_EXPORT_HEARTBEAT_SECONDS="1",
        ANJU_EXPORT_STALE_SECONDS="3",
    ):
        _send(job, "anju-test-kill")
        _wait(job, lambda j: j.progress >= 5 and j.message.startswith("pid "), 60)
        assert job.status == "running" and job.progress >= 5, log.read_text()[-3000:]
        first_pid = int(job.message.split()[1])
        os.kill(first_pid, signal.SIGKILL)
        _wait(job, lambda j: j.status in ("done", "failed"), 90)
    assert job.status == "done", (job.status, job.message, log.read_text()[-3000:])
    assert job.attempts == 2 and job.encrypted
    content = crypto.decrypt_bytes(job.file.open("rb").read()).decode()
    assert content.startswith("built by ") and content != f"built by {first_pid} for township_a"
