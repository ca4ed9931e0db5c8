"""seed_demo's workflow part: projects at every step, a paid batch, rectification, scans."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from pghistory.models import Events

from accounts.models import User
from inspections.models import Appraisal, SafetyState
from rectification.models import ItemStatus, RectificationItem, SelfCheckFinding
from renovation.models import PATH, ProjectStatus, RenovationProject
from renovation.selectors import project_list
from renovation.services import area_violation
from reports.models import Alert, AlertType, MonthlyReport
from subsidies.models import BatchStatus, LineStatus, PayoutBatch, PayoutLine

S = ProjectStatus
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=CST)
TODAY = NOW.date()
LINQUAN = "141124100"


@pytest.fixture
def seeded(db, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo")
    return capsys.readouterr().out


def demo_projects():
    return RenovationProject.objects.filter(household__county_code="141124")


def test_projects_are_left_at_every_step_with_the_records_of_each(seeded):
    projects = demo_projects()
    statuses = Counter(projects.values_list("status", flat=True))
    assert len(statuses) >= 6
    for status in PATH:
        assert statuses[status] >= 1, status
    assert 1 <= statuses[S.CLOSED] <= 2
    # Every township has its share, from application to acceptance.
    for township in ("141124100", "141124101", "141124102"):
        mine = Counter(
            projects.filter(household__township_code=township).values_list("status", flat=True)
        )
        assert {S.APPLIED, S.PUBLICITY, S.UNDER_CONSTRUCTION, S.ACCEPTED} <= set(mine), township

    for project in projects:
        assert project.appraisal.level in ("C", "D")
        assert project.year == TODAY.year
        dates = [
            project.applied_on,
            project.village_reviewed_on,
            project.township_reviewed_on,
            project.joint_reviewed_on,
            project.approved_on,
            project.notified_on,
            project.started_on,
            project.completed_on,
            project.accepted_on,
            project.closed_on,
        ]
        reached = [d for d in dates if d]
        assert reached == sorted(reached) and reached[-1] <= TODAY, project
        assert all(d.year == 2026 for d in reached)
        if project.approved_on:
            publicities = list(project.publicities.all())
            assert len(publicities) == 3
            assert all(p.ends_on < project.approved_on for p in publicities)
            assert project.approved_amount > 0
        if project.started_on:
            assert project.commitment.signed_on >= project.notified_on
            assert project.quality_checks.exists()
            assert project.photos.filter(stage="before").exists()
        if project.accepted_on:
            acceptance = project.acceptance
            assert acceptance.evaluation_passed and acceptance.evaluation_form
            assert acceptance.evaluation_form.read().startswith(b"%PDF-")
            assert area_violation(project, project.built_area) is None
        if project.status == S.CLOSED:
            assert project.demolition.photo
            assert project.demolition.demolished_on <= project.closed_on
            assert SafetyState.objects.filter(
                household=project.household, level="safe", project_id=project.pk
            ).exists()
    assert projects.filter(status=S.PUBLICITY, publicities__objections__isnull=False).exists()
    # Households appraised without a project, some of them safe.
    assert Appraisal.objects.filter(level__in=["A", "B"]).exists()
    assert "业务流程演示数据" in seeded and "改造项目" in seeded


def test_one_batch_is_paid_for_accepted_projects_only_and_one_accepted_waits(seeded):
    batch = PayoutBatch.objects.get(status=BatchStatus.PAID)
    assert (batch.created_by.username, batch.submitted_by.username) == ("reviewer", "reviewer")
    assert batch.paid_by.username == "approver"
    assert batch.voucher.read().startswith(b"%PDF-")
    assert batch.paid_on <= TODAY
    lines = list(batch.lines.select_related("project"))
    assert len(lines) >= 2
    for line in lines:
        project = line.project
        assert line.status == LineStatus.PAID
        assert project.status in (S.ACCEPTED, S.CLOSED)
        assert project.accepted_on <= batch.paid_on
        assert line.amount == project.approved_amount
    unpaid = demo_projects().filter(status=S.ACCEPTED, payout_lines__isnull=True)
    assert unpaid.exists()
    # Nothing before acceptance is ever paid or even in a batch.
    assert not PayoutLine.objects.exclude(project__status__in=[S.ACCEPTED, S.CLOSED]).exists()


def test_rectification_items_alerts_findings_and_monthly_report(seeded):
    items = RectificationItem.objects.filter(campaign__isnull=False)
    statuses = set(items.values_list("status", flat=True))
    assert {ItemStatus.OPEN, ItemStatus.SUBMITTED, ItemStatus.CLOSED} <= statuses
    assert {i.area.level for i in items} >= {"township"}
    closed = items.get(status=ItemStatus.CLOSED)
    assert closed.evidence.exists()
    assert closed.closed_by.username == "reviewer" and closed.area.code.startswith(LINQUAN)

    types = set(Alert.objects.values_list("type", flat=True))
    assert {
        AlertType.PAYOUT_OVERDUE,
        AlertType.COMPLETION_OVERDUE,
        AlertType.RECTIFICATION_OVERDUE,
    } <= types
    assert SelfCheckFinding.objects.filter(rule="cd_not_started").exists()
    assert MonthlyReport.objects.filter(county_id="141124000000", month=TODAY.replace(day=1))


def test_every_project_step_is_in_the_audit_history_with_its_user(seeded):
    project = demo_projects().filter(status=S.CLOSED).first()
    events = Events.objects.references(project).filter(
        pgh_model="renovation.RenovationProjectEvent"
    )
    statuses = []
    for event in events.order_by("pgh_created_at", "pgh_id"):
        if not statuses or statuses[-1] != event.pgh_data["status"]:
            statuses.append(event.pgh_data["status"])
    assert statuses == list(PATH)
    approval = next(e for e in events if e.pgh_data["status"] == S.APPROVED)
    assert approval.pgh_context["user"] == User.objects.get(username="approver").pk
    assert approval.pgh_context["command"] == "seed_demo"
    closing = next(e for e in events if e.pgh_data["status"] == S.CLOSED)
    assert closing.pgh_context["user"] == User.objects.get(username="reviewer").pk


def test_township_user_sees_only_the_projects_of_its_township(seeded, client):
    linquan = User.objects.get(username="linquan")
    visible = project_list(linquan)
    assert visible.exists()
    assert set(visible.values_list("household__township_code", flat=True)) == {LINQUAN}
    others = demo_projects().exclude(household__township_code=LINQUAN)
    assert others.exists()

    client.force_login(linquan)
    page = client.get(reverse("renovation:list")).content.decode()
    assert reverse("renovation:detail", args=[visible.first().pk]) in page
    assert reverse("renovation:detail", args=[others.first().pk]) not in page
    assert client.get(reverse("renovation:detail", args=[others.first().pk])).status_code == 404


def counts():
    return (
        RenovationProject.objects.count(),
        PayoutBatch.objects.count(),
        PayoutLine.objects.count(),
        RectificationItem.objects.count(),
        Appraisal.objects.count(),
        Alert.objects.count(),
        SelfCheckFinding.objects.count(),
        Events.objects.count(),
    )


def test_a_second_run_creates_nothing(seeded, capsys):
    before = counts()
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        call_command("seed_demo")
    assert counts() == before
    assert "跳过业务流程演示数据" in capsys.readouterr().out


def test_the_seed_works_on_a_later_day(db):
    """Early in a year, the history reaches back into the last one; every rule still holds."""
    with time_machine.travel(dt.datetime(2027, 2, 3, 9, 0, tzinfo=CST), tick=False):
        call_command("seed_demo")
    statuses = set(demo_projects().values_list("status", flat=True))
    assert len(statuses) >= 6 and S.CLOSED in statuses
    assert set(demo_projects().values_list("year", flat=True)) == {2027}
    assert PayoutBatch.objects.filter(status=BatchStatus.PAID).exists()


def test_the_demo_county_figures_agree_and_exclude_houses_renovated_as_safe(seeded):
    """Issue 15, acceptance 1: the monthly report's C and D counts, the ledger, the comparison
    export and the monitoring mismatch count agree, computed independently from the history."""
    from accounts.models import User
    from households.models import Household
    from households.monitoring import with_monitoring_mismatch
    from inspections.department_exports import department_queryset
    from inspections.models import SafetyState
    from inspections.selectors import ledger
    from reports.selectors import township_figures

    reviewer = User.objects.get(username="reviewer")
    county = reviewer.area
    # Independently: the newest state of each household, by date then id.
    newest: dict[int, str] = {}
    for state in SafetyState.objects.filter(household__county_code="141124").order_by("on", "id"):
        newest[state.household_id] = state.level
    dangerous = {pk for pk, level in newest.items() if level in ("C", "D", "none")}
    closed = set(demo_projects().filter(status=S.CLOSED).values_list("household_id", flat=True))
    assert closed and not closed & dangerous  # renovated and closed out: safe
    with time_machine.travel(NOW, tick=False):
        on_ledger = set(ledger(reviewer).values_list("pk", flat=True))
        compared = set(department_queryset(reviewer).values_list("pk", flat=True))
        figures = township_figures(county, TODAY.replace(day=1))
    assert on_ledger == compared == dangerous
    c_and_d = sum(r["appraised_c"] + r["appraised_d"] for r in figures.values())
    assert c_and_d == sum(1 for pk in dangerous if newest[pk] in ("C", "D"))
    # The monitoring comparison reads the same state: a closed house is never "dangerous".
    mismatched = set(
        with_monitoring_mismatch(Household.objects.filter(county_code="141124"))
        .filter(monitoring_mismatch=True)
        .values_list("pk", flat=True)
    )
    for pk in mismatched:
        monitored = Household.objects.get(pk=pk).monitoring_dangerous
        assert monitored is not None and monitored != (pk in dangerous)
