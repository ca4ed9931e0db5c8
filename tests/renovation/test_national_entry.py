"""Issue 15 point 9: 开工一户、填报一户 — when each stage was entered in the national system."""

from __future__ import annotations

import datetime as dt

import pytest

from rectification.selfcheck import national_entry_late
from renovation import services
from renovation.models import NationalEntry, ProjectStatus
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus
TODAY = dt.date(2026, 5, 20)  # tests/renovation/conftest.py


def test_entries_in_bulk_all_or_nothing(areas, township_user):
    started = make_project(HouseholdFactory(village=areas["village"]), S.UNDER_CONSTRUCTION)
    notified = make_project(HouseholdFactory(village=areas["village"]), S.NOTIFIED)
    with pytest.raises(services.BatchRefused) as exc:
        services.national_entries_record(
            projects=[started, notified], by=township_user, stage="started", entered_on=TODAY
        )
    assert "尚未开工" in exc.value.errors[notified.pk]
    assert not NationalEntry.objects.exists()
    with pytest.raises(services.BatchRefused) as exc:
        services.national_entries_record(
            projects=[started],
            by=township_user,
            stage="started",
            entered_on=started.started_on - dt.timedelta(days=1),
        )
    assert "不能早于开工日期" in exc.value.errors[started.pk]
    services.national_entries_record(
        projects=[started], by=township_user, stage="started", entered_on=TODAY
    )
    assert NationalEntry.objects.get().entered_on == TODAY


def test_the_self_check_finds_stages_entered_late_or_not_at_all(areas, township_user, settings):
    settings.ANJU_NATIONAL_ENTRY_DAYS = 10
    late = make_project(HouseholdFactory(village=areas["village"], head_name="迟录"), S.COMPLETED)
    on_time = make_project(
        HouseholdFactory(village=areas["village"], head_name="及时"), S.COMPLETED
    )
    for project in (late, on_time):
        services.national_entries_record(
            projects=[project],
            by=township_user,
            stage="started",
            entered_on=project.started_on + dt.timedelta(days=2 if project is on_time else 30),
        )
        services.national_entries_record(
            projects=[project], by=township_user, stage="completed", entered_on=project.completed_on
        )
    findings = {f.household_ids[0]: f.message for f in national_entry_late("141124", TODAY)}
    assert on_time.household_id not in findings
    assert "开工于" in findings[late.household_id] and "晚30天" in findings[late.household_id]

    missing = make_project(HouseholdFactory(village=areas["village"]), S.UNDER_CONSTRUCTION)
    findings = {f.household_ids[0]: f.message for f in national_entry_late("141124", TODAY)}
    assert "超过10天未录入" in findings[missing.household_id]


def test_the_page_and_the_api_record_entries(client, api_client, areas, township_user):
    project = make_project(HouseholdFactory(village=areas["village"]), S.UNDER_CONSTRUCTION)
    client.force_login(township_user)
    page = client.get("/renovation/national-entries/?year=2026").content.decode()
    assert "未录入" in page and project.household.head_name in page
    client.post(
        "/renovation/national-entries/",
        {"ids": [project.pk], "stage": "started", "entered_on": str(TODAY), "query": "year=2026"},
    )
    assert NationalEntry.objects.filter(project=project, stage="started").exists()
    api_client.force_authenticate(township_user)
    response = api_client.post(
        "/api/renovation-projects/national-entries/",
        {"ids": [project.pk], "stage": "started", "entered_on": str(TODAY)},
        format="json",
    )
    assert response.status_code == 400 and "已登记录入国家系统" in str(response.json())


def test_the_national_export_carries_the_payout_date_and_amount(
    household, county_reviewer, county_approver
):
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from core import exports
    from subsidies import services as subsidies
    from subsidies.services import LineRequest
    from tests.subsidies.factories import accepted_project, batch, voucher

    project = accepted_project(household, accepted_on=dt.date(2026, 5, 1), amount=Decimal("50000"))
    b = batch(county_reviewer)
    subsidies.batch_add_lines(
        batch=b, by=county_reviewer, items=[LineRequest(project=project, amount=Decimal("50000"))]
    )
    subsidies.batch_submit(batch=b, by=county_reviewer)
    subsidies.batch_pay(
        batch=b, by=county_approver, paid_on=dt.date(2026, 5, 10), voucher=voucher(), today=TODAY
    )
    exporter = exports.get("national-record")
    result = exporter.run(county_reviewer, {"year": 2026}, lambda *a: None)
    ws = load_workbook(io.BytesIO(result.content)).active
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[2]]
    assert row[header.index("拨付日期")] == "2026-05-10"
    assert row[header.index("拨付金额(元)")] == 50000
