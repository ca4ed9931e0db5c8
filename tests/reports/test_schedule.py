"""The beat schedule names tasks that the Celery app knows; the report day comes from env."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from config.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names == {
        "reports.tasks.draft_monthly_reports",
        "reports.tasks.scan_overdue",
        "rectification.tasks.run_selfcheck_nightly",
        "core.tasks.purge_expired_exports",
        "core.tasks.sweep_stalled_exports",
        "households.tasks.compact_tally",
    }
    assert names <= set(app.tasks), names - set(app.tasks)


def test_default_times_in_asia_shanghai():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    draft = schedule["monthly-report-draft"]["schedule"]
    assert draft.day_of_month == {20} and draft.hour == {6} and draft.minute == {0}
    assert schedule["overdue-scan"]["schedule"].hour == {7}
    assert schedule["selfcheck-nightly"]["schedule"].hour == {2}
    assert len(schedule["purge-expired-exports"]["schedule"].hour) == 24


def _settings_value(env: dict, expression: str) -> subprocess.CompletedProcess:
    code = f"import config.settings_test as s; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )


def test_report_day_from_environment():
    result = _settings_value(
        {"ANJU_REPORT_DRAFT_DAY": "18"},
        "sorted(s.CELERY_BEAT_SCHEDULE['monthly-report-draft']['schedule'].day_of_month)",
    )
    assert result.stdout.strip() == "[18]", result.stderr
    bad = _settings_value({"ANJU_REPORT_DRAFT_DAY": "31"}, "1")
    assert bad.returncode != 0 and "ANJU_REPORT_DRAFT_DAY" in bad.stderr
