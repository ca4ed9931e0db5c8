"""The monthly report: figures equal independent counts; submission, freezing, reopening."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from core.errors import DomainError
from renovation.models import Demolition
from reports.models import MonthlyReport, MonthlyReportRow, RowStatus
from reports.services import (
    alerts_scan,
    monthly_report_draft,
    monthly_report_reopen,
    monthly_report_submit,
)
from subsidies import services as subsidy_services
from subsidies.models import LineStatus, PayoutLine
from tests.factories import HouseholdFactory
from tests.inspections.factories import AppraisalFactory, CampaignFactory, upload
from tests.rectification.factories import ItemFactory
from tests.renovation.factories import make_project
from tests.subsidies.factories import accepted_project, batch, voucher

pytestmark = pytest.mark.django_db
NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def data(areas, county_reviewer, county_approver):
    """Two townships with households, appraisals, projects at every step, payouts, items."""
    CampaignFactory(created_by=county_reviewer, areas=[areas["county"]])
    v1, v2, v3 = areas["village"], areas["village2"], areas["other_village"]
    hs = [
        HouseholdFactory(village=v, category=c)
        for v, c in [
            (v1, "dibao"),
            (v1, "tekun"),
            (v1, "dibao"),
            (v2, "at_risk"),
            (v2, "dibao"),
            (v3, "dibao"),
            (v3, "hardship"),
            (v3, "at_risk"),
        ]
    ]
    AppraisalFactory(household=hs[0], level="C", created_by=county_reviewer)
    make_project(hs[1], "under_construction")  # D appraisal, started, completion overdue
    make_project(hs[2], "closed")  # completed, accepted, not demolished (alert)
    p_paid = accepted_project(hs[3], accepted_on=dt.date(2026, 10, 10))
    make_project(hs[4], "approved")
    p_demolished = make_project(hs[5], "accepted", level="C")
    Demolition.objects.create(
        project=p_demolished,
        demolished_on=dt.date(2026, 6, 1),
        photo=upload("拆.jpg", b"\xff\xd8\xff"),
        content_type="image/jpeg",
        recorded_by=county_reviewer,
    )
    make_project(hs[6], "applied")  # not planned yet
    make_project(hs[7], "completed", year=2025)  # another year
    b = batch(county_reviewer, batch_date=dt.date(2026, 11, 15))
    subsidy_services.batch_add_lines(
        batch=b,
        by=county_reviewer,
        items=[subsidy_services.LineRequest(project=p_paid, amount=Decimal("30000.00"))],
    )
    subsidy_services.batch_submit(batch=b, by=county_reviewer)
    subsidy_services.batch_pay(
        batch=b, by=county_approver, paid_on=dt.date(2026, 11, 16), voucher=voucher()
    )
    ItemFactory(area=areas["village"], created_by=county_reviewer, deadline=dt.date(2026, 11, 1))
    ItemFactory(area=areas["township"], created_by=county_reviewer)
    ItemFactory(
        area=areas["other_village"],
        created_by=county_reviewer,
        status="closed",
        closed_by=county_reviewer,
        closed_on=dt.date(2026, 11, 2),
    )
    alerts_scan()
    return hs


def _independent(township_code: str) -> dict:
    """The same figures, counted object by object in Python."""
    from households.models import Household
    from inspections.selectors import current_appraisal
    from rectification.models import RectificationItem
    from renovation.models import FUNDED, RenovationProject
    from reports.models import Alert

    prefix = township_code[:9]
    households = [h for h in Household.objects.all() if h.village_id.startswith(prefix)]
    levels = [getattr(current_appraisal(h), "level", None) for h in households]
    projects = [
        p
        for p in RenovationProject.objects.filter(year=2026)
        if p.household.village_id.startswith(prefix) and p.status in FUNDED
    ]
    lines = [
        line
        for line in PayoutLine.objects.filter(status=LineStatus.PAID)
        if line.project.household.village_id.startswith(prefix) and line.project.year == 2026
    ]
    items = [i for i in RectificationItem.objects.all() if i.area_id.startswith(prefix)]
    by_category: dict = {}
    for h in households:
        by_category[h.category] = by_category.get(h.category, 0) + 1
    return {
        "households_by_category": by_category,
        "households_total": len(households),
        "appraised_c": levels.count("C"),
        "appraised_d": levels.count("D"),
        "planned": len(projects),
        "started": sum(1 for p in projects if p.started_on),
        "completed": sum(1 for p in projects if p.completed_on),
        "accepted": sum(1 for p in projects if p.accepted_on),
        "paid_count": len({line.project_id for line in lines}),
        "paid_amount": sum((line.amount for line in lines), Decimal("0.00")),
        "demolished": sum(1 for p in projects if Demolition.objects.filter(project=p).exists()),
        "overdue_alerts": sum(
            1 for a in Alert.objects.filter(status="open") if a.area_id.startswith(prefix)
        ),
        "rectification_open": sum(1 for i in items if i.status != "closed"),
        "rectification_closed": sum(1 for i in items if i.status == "closed"),
    }


FIELDS = [
    "households_by_category",
    "households_total",
    "appraised_c",
    "appraised_d",
    "planned",
    "started",
    "completed",
    "accepted",
    "paid_count",
    "paid_amount",
    "demolished",
    "overdue_alerts",
    "rectification_open",
    "rectification_closed",
]


def test_figures_equal_independent_counts(areas, data):
    report = monthly_report_draft(county=areas["county"], month=dt.date(2026, 11, 20))
    assert report.month == NOVEMBER
    rows = {r.area_id: r for r in report.rows.all()}
    assert set(rows) == {areas["township"].code, areas["other_township"].code, areas["county"].code}
    for township in (areas["township"], areas["other_township"]):
        expected = _independent(township.code)
        row = rows[township.code]
        assert {f: getattr(row, f) for f in FIELDS} == expected, township.name
        assert expected["planned"] > 0
    t1 = rows[areas["township"].code]
    assert (t1.planned, t1.completed, t1.completion_rate) == (4, 2, Decimal("50.0"))
    t2 = rows[areas["other_township"].code]
    assert (t2.planned, t2.completed, t2.completion_rate) == (1, 1, Decimal("100.0"))
    assert (t2.rank, t1.rank) == (1, 2)
    total = rows[areas["county"].code]
    assert total.is_total and total.rank is None
    for field in FIELDS[1:]:
        assert getattr(total, field) == getattr(t1, field) + getattr(t2, field), field
    assert total.completion_rate == Decimal("60.0")  # 3 of 5


def test_draft_is_idempotent_and_submitted_rows_stay_frozen(
    areas, data, township_user, county_reviewer
):
    report = monthly_report_draft(county=areas["county"], month=NOVEMBER)
    assert monthly_report_draft(county=areas["county"], month=NOVEMBER).pk == report.pk
    assert MonthlyReport.objects.count() == 1 and report.rows.count() == 3
    row = report.rows.get(area=areas["township"])
    monthly_report_submit(row=row, by=township_user)
    HouseholdFactory(village=areas["village"])
    HouseholdFactory(village=areas["other_village"])
    monthly_report_draft(county=areas["county"], month=NOVEMBER)
    row.refresh_from_db()
    other = report.rows.get(area=areas["other_township"])
    assert row.status == RowStatus.SUBMITTED and not row.late
    assert row.households_total == 5  # frozen at submission
    assert other.households_total == 4  # refreshed
    monthly_report_reopen(row=row, by=county_reviewer)
    monthly_report_draft(county=areas["county"], month=NOVEMBER)
    row.refresh_from_db()
    assert row.status == RowStatus.DRAFT and row.households_total == 6 and row.reopen_count == 1


def test_submission_rules(areas, data, township_user, other_township_user, county_reviewer):
    report = monthly_report_draft(county=areas["county"], month=NOVEMBER)
    row = report.rows.get(area=areas["township"])
    with pytest.raises(DomainError):
        monthly_report_submit(row=row, by=other_township_user)
    with pytest.raises(DomainError):
        monthly_report_submit(row=row, by=county_reviewer)
    with pytest.raises(DomainError):
        monthly_report_reopen(row=row, by=county_reviewer)  # not submitted yet
    with time_machine.travel(dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC), tick=False):
        row = monthly_report_submit(row=row, by=township_user)
    assert row.late  # after the 25th: accepted, flagged late
    with pytest.raises(DomainError):
        monthly_report_submit(row=row, by=township_user)
    with pytest.raises(DomainError):
        monthly_report_reopen(row=row, by=township_user)


def test_task_drafts_every_county(areas, data):
    from reports.tasks import draft_monthly_reports

    draft_monthly_reports.delay()
    draft_monthly_reports.delay()
    assert MonthlyReport.objects.filter(county=areas["county"], month=NOVEMBER).count() == 1


def test_page_chart_and_downloads(client, areas, data, township_user, county_reviewer):
    report = monthly_report_draft(county=areas["county"], month=NOVEMBER)
    client.force_login(township_user)
    page = client.get(reverse("reports:monthly_detail", args=[report.pk])).content.decode()
    assert "示范县2026年11月农村危房改造工作月报" in page
    assert 'id="completion-chart"' in page and "50.0%" in page and "临泉镇" in page
    assert "报送</button>" in page  # the township's own row
    response = client.get(reverse("reports:monthly_xlsx", args=[report.pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = {row[0]: row for row in ws.iter_rows(values_only=True)}
    header = cells["乡镇"]
    t1 = dict(zip(header, cells["临泉镇"], strict=True))
    assert t1["年度计划"] == 4 and isinstance(t1["年度计划"], int)
    assert t1["已拨付金额（元）"] == 30000 and t1["竣工率（%）"] == 50
    assert dict(zip(header, cells["全县合计"], strict=True))["年度计划"] == 5


def test_pdf_download(client, areas, data, county_reviewer):
    report = monthly_report_draft(county=areas["county"], month=NOVEMBER)
    client.force_login(county_reviewer)
    response = client.get(reverse("reports:monthly_pdf", args=[report.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_submit_and_reopen_pages(client, areas, data, township_user, county_reviewer, official):
    report = monthly_report_draft(county=areas["county"], month=NOVEMBER)
    row = report.rows.get(area=areas["township"])
    client.force_login(official)
    assert client.post(reverse("reports:row_submit", args=[row.pk])).status_code == 403
    client.force_login(township_user)
    client.post(reverse("reports:row_submit", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == RowStatus.SUBMITTED and row.submitted_by == township_user
    client.force_login(county_reviewer)
    client.post(reverse("reports:row_reopen", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == RowStatus.DRAFT


def test_another_countys_report_is_404(client, areas, data):
    from tests.factories import UserFactory, area

    report = monthly_report_draft(county=areas["county"], month=NOVEMBER)
    stranger = UserFactory(
        username="far", role="county_reviewer", area=area("141125000000", "邻县")
    )
    client.force_login(stranger)
    assert client.get(reverse("reports:monthly_detail", args=[report.pk])).status_code == 404
    row = MonthlyReportRow.objects.get(report=report, area=areas["township"])
    row.status = "submitted"
    assert client.post(reverse("reports:row_reopen", args=[row.pk])).status_code == 404
