"""#18 point 6: workers anywhere (a heavy and a quick queue) and one beat however many run.

Two real `celery beat` processes on the real Redis, with a schedule that fires every second:
only one of them sends, and when it is killed the other takes over.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from config.celery import app
from tests.hosts import servers

pytestmark = pytest.mark.hosts

BROKER = settings.ANJU_TEST_BROKER_URL
HEAVY = {"core.tasks.run_export", "reports.tasks.draft_monthly_reports"}
HEAVY |= {"rectification.tasks.run_selfcheck_nightly"}


def _queue_of(name: str) -> str:
    route = app.amqp.router.route({}, name, args=(), kwargs={})
    return route["queue"].name


def test_heavy_jobs_and_quick_jobs_have_their_own_queues():
    for name in HEAVY:
        assert _queue_of(name) == "heavy", name
    for name in ("reports.tasks.scan_overdue", "core.tasks.sweep_stalled_exports"):
        assert _queue_of(name) == "quick", name


def test_every_task_of_the_app_is_routed_on_purpose():
    """A new task gets a queue by decision (CELERY_TASK_ROUTES), never by default."""
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    ours -= {name for name in ours if name.startswith("tests.")}
    assert ours, "no task registered"
    assert ours <= set(settings.CELERY_TASK_ROUTES), ours - set(settings.CELERY_TASK_ROUTES)
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in settings.CELERY_TASK_ROUTES


def _redis_up() -> bool:
    host_port = BROKER.split("//", 1)[1].split("/", 1)[0].split("@")[-1]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


def _beat(workdir: Path, name: str, env: dict) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"beat-{name}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "-s",
                str(workdir / f"schedule-{name}"),
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, log


def _sent(log: Path) -> int:
    return len(re.findall(r"Sending due task probe", log.read_text(errors="replace")))


def test_two_beats_send_each_task_once_and_the_second_takes_over(tmp_path):
    servers.require(_redis_up(), f"Redis is not reachable at {BROKER}")
    queue = f"anju-beat-test-{uuid.uuid4().hex[:8]}"
    lock_key = f"anju:test:beat:{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.hosts.beat_settings",
        "CELERY_BROKER_URL": BROKER,
        "ANJU_BEAT_LOCK_URL": BROKER,
        "ANJU_BEAT_LOCK_KEY": lock_key,
        "ANJU_BEAT_LOCK_SECONDS": "3",
        "ANJU_BEAT_TEST_QUEUE": queue,
        "ANJU_TESTING": "1",
    }
    client = redis.Redis.from_url(BROKER)
    beats = [_beat(tmp_path, name, env) for name in ("one", "two")]
    try:
        servers.wait_until(
            lambda: sum(_sent(log) for _, log in beats) >= 1, timeout=60, what="a beat sending"
        )
        time.sleep(8)
        sent = [_sent(log) for _, log in beats]
        messages = client.llen(queue)
        assert sorted(sent)[0] == 0, f"both beats sent: {sent}"
        assert messages == sum(sent) and 6 <= messages <= 12, (messages, sent)

        # The sender dies without a word (kill -9): its lock expires, the other one sends.
        leader = 0 if sent[0] else 1
        leader_proc, leader_log = beats[leader]
        os.killpg(leader_proc.pid, signal.SIGKILL)
        leader_proc.wait(timeout=10)
        before = _sent(leader_log)
        _, standby_log = beats[1 - leader]
        servers.wait_until(
            lambda: _sent(standby_log) >= 3, timeout=30, what="the standby beat taking over"
        )
        assert _sent(leader_log) == before
        assert client.llen(queue) == before + _sent(standby_log)
    finally:
        for proc, _ in beats:
            servers.stop(proc)
        client.delete(queue, lock_key)
