"""Every deadline of DOMAIN.md "Reporting and deadlines": condition → one alert → cleared."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from inspections import services as inspection_services
from inspections.models import CampaignKind, InspectionRecord
from reports.models import Alert, AlertStatus, AlertType
from reports.services import alerts_scan
from tests.factories import HouseholdFactory, UserFactory
from tests.inspections.factories import (
    AppraisalFactory,
    CampaignFactory,
    InspectionFactory,
    upload,
)
from tests.rectification.factories import ItemFactory
from tests.renovation.factories import make_project
from tests.subsidies.factories import accepted_project

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def _recent_review_campaign(areas, county_reviewer):
    """A 回头看 this autumn, every household checked: no campaign reminder unless a test wants."""
    return CampaignFactory(
        created_by=county_reviewer,
        areas=[areas["county"]],
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 12, 31),
    )


def _open(type_):
    return list(Alert.objects.filter(type=type_, status=AlertStatus.OPEN))


def _scan_twice_one_alert(type_) -> Alert:
    alerts_scan()
    alerts_scan()
    alerts = _open(type_)
    assert len(alerts) == 1, alerts
    assert Alert.objects.filter(type=type_).count() == 1
    return alerts[0]


def _cleared(type_):
    alerts_scan()
    assert _open(type_) == []
    closed = Alert.objects.get(type=type_)
    assert closed.status == AlertStatus.CLOSED and closed.closed_at is not None


def test_rectification_deadline_passed(areas, county_reviewer):
    item = ItemFactory(
        area=areas["township"], created_by=county_reviewer, deadline=dt.date(2026, 11, 13)
    )
    ItemFactory(area=areas["township"], created_by=county_reviewer, deadline=dt.date(2026, 12, 1))
    alert = _scan_twice_one_alert(AlertType.RECTIFICATION_OVERDUE)
    assert alert.object_key == f"rectification.item:{item.pk}"
    assert alert.area == areas["township"]
    assert alert.due_on == dt.date(2026, 11, 13) and alert.days_overdue == 10
    item.status = "closed"
    item.closed_by = county_reviewer
    item.closed_on = TODAY
    item.save()
    _cleared(AlertType.RECTIFICATION_OVERDUE)


def test_appraisal_of_a_new_list_past_five_working_days(areas, county_reviewer, household):
    inspection_services.department_list_create(
        by=county_reviewer,
        department="minzheng",
        received_on=dt.date(2026, 11, 6),  # due Friday 13 Nov
        households=[household],
    )
    alert = _scan_twice_one_alert(AlertType.APPRAISAL_OVERDUE)
    assert alert.area == areas["village"] and alert.due_on == dt.date(2026, 11, 13)
    assert "张三" in alert.object_label
    AppraisalFactory(household=household, appraised_on=TODAY, created_by=county_reviewer)
    _cleared(AlertType.APPRAISAL_OVERDUE)


def test_completion_past_due(household):
    project = make_project(household, "under_construction")  # due 31 July 2026
    alert = _scan_twice_one_alert(AlertType.COMPLETION_OVERDUE)
    assert alert.due_on == dt.date(2026, 7, 31) and alert.days_overdue == 115
    project.status = "completed"
    project.completed_on = dt.date(2026, 11, 20)
    project.save()
    _cleared(AlertType.COMPLETION_OVERDUE)


def test_ended_project_raises_no_completion_alert(household):
    project = make_project(household, "under_construction")
    project.status = "withdrawn"
    project.end_reason = "外出务工，撤回申请"
    project.ended_on = dt.date(2026, 8, 1)
    project.save()
    alerts_scan()
    assert _open(AlertType.COMPLETION_OVERDUE) == []


def test_payout_past_one_month_after_acceptance(household, county_reviewer, county_approver):
    from subsidies import services as subsidy_services
    from tests.subsidies.factories import batch, voucher

    project = accepted_project(household, accepted_on=dt.date(2026, 10, 10))
    accepted_project(
        HouseholdFactory(village=household.village), accepted_on=dt.date(2026, 11, 1)
    )  # due 1 Dec: not yet
    alert = _scan_twice_one_alert(AlertType.PAYOUT_OVERDUE)
    assert alert.object_key == f"renovation.project:{project.pk}"
    assert alert.due_on == dt.date(2026, 11, 10)
    b = batch(county_reviewer, batch_date=TODAY)
    subsidy_services.batch_add_lines(
        batch=b,
        by=county_reviewer,
        items=[subsidy_services.LineRequest(project=project, amount=Decimal("50000"))],
    )
    subsidy_services.batch_submit(batch=b, by=county_reviewer)
    subsidy_services.batch_pay(batch=b, by=county_approver, paid_on=TODAY, voucher=voucher())
    _cleared(AlertType.PAYOUT_OVERDUE)


def test_old_house_not_demolished_after_the_grace_period(household, settings):
    from renovation.models import Demolition

    settings.ANJU_DEMOLITION_GRACE_DAYS = 90
    project = make_project(household, "closed")  # accepted 10 May 2026
    young = make_project(
        HouseholdFactory(village=household.village), "accepted", accepted_on=dt.date(2026, 10, 1)
    )
    make_project(
        HouseholdFactory(village=household.village),
        "accepted",
        demolition_not_applicable_reason="修缮加固，无旧房需拆除",
    )
    alert = _scan_twice_one_alert(AlertType.NOT_DEMOLISHED)
    assert alert.object_key == f"renovation.project:{project.pk}"
    assert alert.due_on == dt.date(2026, 8, 8)
    assert young.pk not in [int(a.object_key.split(":")[1]) for a in _open("not_demolished")]
    Demolition.objects.create(
        project=project,
        demolished_on=TODAY,
        photo=upload("拆除.jpg", b"\xff\xd8\xff"),
        content_type="image/jpeg",
        recorded_by=project.applied_by,
    )
    _cleared(AlertType.NOT_DEMOLISHED)


def test_d_house_lived_in(areas, household, county_reviewer):
    AppraisalFactory(
        household=household,
        level="D",
        appraised_on=dt.date(2026, 10, 1),
        created_by=county_reviewer,
    )
    InspectionFactory(
        household=household,
        inspected_on=dt.date(2026, 11, 2),
        occupied=True,
        inspector=county_reviewer,
    )
    alert = _scan_twice_one_alert(AlertType.D_OCCUPIED)
    assert alert.object_key == f"households.household:{household.pk}"
    assert alert.area == areas["village"] and alert.days_overdue == 21
    InspectionFactory(
        household=household, inspected_on=TODAY, occupied=False, inspector=county_reviewer
    )
    _cleared(AlertType.D_OCCUPIED)


def test_review_campaign_due_when_none_in_half_a_year(
    areas, county_reviewer, _recent_review_campaign
):
    _recent_review_campaign.delete()
    CampaignFactory(
        created_by=county_reviewer,
        areas=[areas["county"]],
        kind=CampaignKind.AFTER_THAW,
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 4, 30),
    )
    alert = _scan_twice_one_alert(AlertType.REVIEW_CAMPAIGN_DUE)
    assert alert.object_key == f"county:{areas['county'].code}"
    assert alert.area == areas["county"] and alert.due_on == dt.date(2026, 8, 31)
    CampaignFactory(
        created_by=county_reviewer,
        areas=[areas["county"]],
        starts_on=dt.date(2026, 11, 20),
        ends_on=dt.date(2026, 12, 31),
    )
    _cleared(AlertType.REVIEW_CAMPAIGN_DUE)


def test_review_campaign_ended_with_unchecked_households(areas, county_reviewer, household):
    campaign = CampaignFactory(
        created_by=county_reviewer,
        areas=[areas["township"]],
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 10, 31),
    )
    alert = _scan_twice_one_alert(AlertType.REVIEW_CAMPAIGN_DUE)
    assert alert.object_key == f"inspections.campaign:{campaign.pk}"
    assert alert.area == areas["township"]
    InspectionRecord.objects.create(
        household=household,
        campaign=campaign,
        inspected_on=dt.date(2026, 10, 20),
        inspector=county_reviewer,
        occupied=True,
        findings="无异常",
    )
    _cleared(AlertType.REVIEW_CAMPAIGN_DUE)


def test_a_second_open_alert_for_the_same_object_is_refused_by_the_database(areas):
    now = timezone.now()
    values = {
        "type": AlertType.D_OCCUPIED,
        "object_key": "households.household:1",
        "object_label": "x",
        "area": areas["village"],
        "due_on": TODAY,
        "opened_at": now,
        "last_seen_at": now,
    }
    Alert.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**values)
    Alert.objects.update(status="closed", closed_at=now)
    Alert.objects.create(**values)  # a closed one does not block a new open one


def test_reopened_condition_opens_a_new_alert(areas, county_reviewer):
    item = ItemFactory(
        area=areas["township"], created_by=county_reviewer, deadline=dt.date(2026, 11, 13)
    )
    alerts_scan()
    item.deadline = dt.date(2026, 12, 31)
    item.save()
    alerts_scan()
    item.deadline = dt.date(2026, 11, 1)
    item.save()
    alerts_scan()
    assert Alert.objects.filter(type=AlertType.RECTIFICATION_OVERDUE).count() == 2
    assert len(_open(AlertType.RECTIFICATION_OVERDUE)) == 1


def test_mail_goes_to_the_responsible_people_of_that_area_only(
    areas,
    county_reviewer,
    township_user,
    other_township_user,
    official,
    village_clerk,
    django_capture_on_commit_callbacks,
):
    for user, email in [
        (county_reviewer, "reviewer@example.cn"),
        (township_user, "township@example.cn"),
        (other_township_user, "other@example.cn"),
        (official, "official@example.cn"),
        (village_clerk, "clerk@example.cn"),
    ]:
        user.email = email
        user.save()
    UserFactory(
        username="inactive",
        role=Role.TOWNSHIP_STAFF,
        area=areas["township"],
        email="gone@example.cn",
        is_active=False,
    )
    ItemFactory(area=areas["village"], created_by=county_reviewer, deadline=dt.date(2026, 11, 1))
    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan()
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["reviewer@example.cn", "township@example.cn"]
    assert "整改超期" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan()
    assert len(mail.outbox) == 1  # nothing new, no new mail


def test_payout_and_occupied_alerts_also_mail_the_approver_and_the_village(
    areas, county_reviewer, county_approver, township_user, village_clerk, official
):
    from reports.services import alert_recipients

    for user in (county_reviewer, county_approver, township_user, village_clerk, official):
        user.email = f"{user.username}@example.cn"
        user.save()
    now = timezone.now()

    def alert(type_):
        return Alert.objects.create(
            type=type_,
            object_key=type_,
            object_label="东村",
            area=areas["village"],
            due_on=dt.date(2026, 11, 1),
            opened_at=now,
            last_seen_at=now,
        )

    base = ["reviewer@example.cn", "township_a@example.cn"]
    assert alert_recipients(alert(AlertType.PAYOUT_OVERDUE)) == sorted(
        [*base, "approver@example.cn"]
    )
    assert alert_recipients(alert(AlertType.D_OCCUPIED)) == sorted([*base, "clerk@example.cn"])
    assert alert_recipients(alert(AlertType.COMPLETION_OVERDUE)) == base


def test_county_level_alert_mails_county_reviewers_only(
    areas,
    county_reviewer,
    township_user,
    _recent_review_campaign,
    django_capture_on_commit_callbacks,
):
    _recent_review_campaign.delete()
    county_reviewer.email = "reviewer@example.cn"
    county_reviewer.save()
    township_user.email = "township@example.cn"
    township_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        alerts_scan()
    assert [m.to for m in mail.outbox] == [["reviewer@example.cn"]]


def test_task_runs_the_scan_and_is_idempotent(areas, county_reviewer):
    from reports.tasks import scan_overdue

    ItemFactory(area=areas["township"], created_by=county_reviewer, deadline=dt.date(2026, 11, 1))
    scan_overdue.delay()
    scan_overdue.delay()
    assert Alert.objects.count() == 1
