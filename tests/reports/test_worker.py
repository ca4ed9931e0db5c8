"""A real Celery worker on the real Redis drafts a monthly report enqueued through the broker."""

from __future__ import annotations

import time

import pytest

from config.celery import app
from reports.models import MonthlyReport
from reports.tasks import draft_monthly_reports
from tests.factories import HouseholdFactory
from tests.test_celery_worker import BROKER, worker  # noqa: F401 - the fixture


@pytest.mark.django_db(transaction=True)
def test_monthly_report_drafted_by_a_real_worker(worker, areas):  # noqa: F811
    HouseholdFactory(village=areas["village"], head_name="经由队列")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(BROKER) as conn:
            draft_monthly_reports.apply_async(
                args=["2026-11-01"], connection=conn, queue="anju-test"
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if MonthlyReport.objects.filter(county=areas["county"]).exists():
                break
            time.sleep(0.3)
    finally:
        app.conf.task_always_eager = previous
    report = MonthlyReport.objects.get(county=areas["county"])
    assert report.rows.get(area=areas["township"]).households_total == 1
    assert report.rows.get(is_total=True).households_total == 1
    assert "draft_monthly_reports" in worker.read_text()
