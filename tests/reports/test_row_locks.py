"""A monthly report row another user is changing right now: refused at once (NOWAIT)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.errors import ConflictError
from reports import services
from reports.models import MonthlyReportRow, RowStatus
from tests.row_lock import answers_at_once, row_held

pytestmark = pytest.mark.django_db(transaction=True)


def test_submitting_a_held_row_is_a_conflict_at_once(areas, township_user):
    report = services.monthly_report_draft(county=areas["county"], month=dt.date(2026, 11, 20))
    row = report.rows.get(area=areas["township"])
    with row_held(MonthlyReportRow, row.pk), answers_at_once(), pytest.raises(ConflictError):
        services.monthly_report_submit(row=row, by=township_user)
    assert MonthlyReportRow.objects.unscoped("test").get(pk=row.pk).status == RowStatus.DRAFT


def test_the_page_says_try_again_for_a_held_row(client, areas, township_user):
    report = services.monthly_report_draft(county=areas["county"], month=dt.date(2026, 11, 20))
    row = report.rows.get(area=areas["township"])
    client.force_login(township_user)
    with row_held(MonthlyReportRow, row.pk), answers_at_once():
        response = client.post(reverse("reports:row_submit", args=[row.pk]), follow=True)
    assert "请稍后重试" in response.content.decode()
    assert MonthlyReportRow.objects.unscoped("test").get(pk=row.pk).status == RowStatus.DRAFT
