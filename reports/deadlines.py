"""The deadlines of DOMAIN.md "Reporting and deadlines", each as a finder of overdue objects.

A finder takes today's date and yields `Overdue` facts; the scan (reports.services) turns them
into alerts. Finders read the whole database through the same selectors as the pages (with a
system reader that sees every area), so a page and its alert never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from accounts.models import Area, AreaLevel
from inspections.models import Campaign, InspectionRecord
from inspections.selectors import campaign_households, ledger, pending_appraisals
from rectification.models import DeadlineKind, ItemStatus, RectificationItem
from renovation.models import ACTIVE, Demolition, ProjectStatus, RenovationProject
from reports.models import AlertType


class SystemReader:
    """Reads every area (area_prefix() is '' for it): the scan's user for shared selectors."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    area_id = None
    area = None
    role = ""
    pk = None


SYSTEM = SystemReader()


@dataclass(frozen=True)
class Overdue:
    type: str
    object_key: str
    object_label: str
    area_id: str
    due_on: dt.date
    url: str = field(default="", compare=False)

    def days_overdue(self, today: dt.date) -> int:
        return max(0, (today - self.due_on).days)


def _project_overdue(kind: str, project: RenovationProject, due_on: dt.date) -> Overdue:
    """A renovation project past a deadline, as every project alert names it."""
    return Overdue(
        kind,
        f"renovation.project:{project.pk}",
        f"{project.year}年 {project.household.head_name}",
        project.household.village_id,
        due_on,
        project.get_absolute_url(),
    )


def rectification_overdue(today: dt.date) -> Iterator[Overdue]:
    """整改期限已过而未销号 (long-term items: their last stage goal)."""

    items = (
        RectificationItem.objects.exclude(status=ItemStatus.CLOSED)
        .filter(
            Q(deadline_kind=DeadlineKind.DATE, deadline__lt=today)
            | Q(deadline_kind=DeadlineKind.LONG_TERM)
        )
        .prefetch_related("stages")
    )
    for item in items.iterator(chunk_size=500):
        due = item.final_due
        if due and due < today:
            yield Overdue(
                AlertType.RECTIFICATION_OVERDUE,
                f"rectification.item:{item.pk}",
                item.title[:200],
                item.area_id,
                due,
                item.get_absolute_url(),
            )


def appraisal_overdue(today: dt.date) -> Iterator[Overdue]:
    """A household of a department list not appraised within 5 working days."""

    for entry in pending_appraisals(SYSTEM, today).filter(overdue=True):
        household = entry.household
        yield Overdue(
            AlertType.APPRAISAL_OVERDUE,
            f"inspections.departmentlistentry:{entry.pk}",
            f"{household.head_name}（{entry.department_list}）",
            household.village_id,
            entry.appraisal_due,
            household.get_absolute_url(),
        )


def completion_overdue(today: dt.date) -> Iterator[Overdue]:
    """Not completed by the due date (31 July in principle), project still going."""

    projects = RenovationProject.objects.filter(
        status__in=ACTIVE, completed_on__isnull=True, completion_due__lt=today
    ).select_related("household")
    for project in projects.iterator(chunk_size=500):
        yield _project_overdue(AlertType.COMPLETION_OVERDUE, project, project.completion_due)


def payout_overdue(today: dt.date) -> Iterator[Overdue]:
    # 2024 action plan: subsidy paid within one month of acceptance (subsidies.selectors).
    from subsidies.selectors import accepted_unpaid

    for project in accepted_unpaid(SYSTEM, today):
        if project.overdue:
            yield _project_overdue(AlertType.PAYOUT_OVERDUE, project, project.payment_due)


def not_demolished(today: dt.date) -> Iterator[Overdue]:
    """建新必拆旧: accepted (or closed) for longer than the grace period, old house standing."""

    grace = timedelta(days=settings.ANJU_DEMOLITION_GRACE_DAYS)
    # From the move-in when recorded (issue 15 point 6), else from the acceptance.
    projects = (
        RenovationProject.objects.annotate(since=Coalesce("moved_in_on", "accepted_on"))
        .filter(
            status__in=[ProjectStatus.ACCEPTED, ProjectStatus.CLOSED],
            since__lt=today - grace,
            demolition_not_applicable_reason="",
        )
        .filter(~Exists(Demolition.objects.filter(project=OuterRef("pk"))))
        .select_related("household")
    )
    for project in projects.iterator(chunk_size=500):
        yield _project_overdue(AlertType.NOT_DEMOLISHED, project, project.since + grace)


def d_occupied(today: dt.date) -> Iterator[Overdue]:
    """危房不住人: a D house on the ledger whose last inspection found it lived in."""

    rows = (
        ledger(SYSTEM, today)
        .filter(emergency=True)
        .prefetch_related(None)
        .values("pk", "head_name", "village_id", "last_inspected_on", "current_appraised_on")
    )
    for row in rows:
        due = row["last_inspected_on"] or row["current_appraised_on"] or today
        yield Overdue(
            AlertType.D_OCCUPIED,
            f"households.household:{row['pk']}",
            row["head_name"],
            row["village_id"],
            due,
            reverse("households:detail", args=[row["pk"]]),
        )


REVIEW_KINDS = ("after_rainy", "after_thaw")


def review_campaign_due(today: dt.date) -> Iterator[Overdue]:
    """The "回头看" campaign, at least twice a year, kept simple (documented in reports/README.md).

    1. Per county: no 回头看 campaign (after the rainy season or after the thaw) has started
       within ANJU_REVIEW_CAMPAIGN_INTERVAL_DAYS (default 183, half a year).
    2. Per campaign: a 回头看 campaign that ended (within the last year) while households in
       its scope are still unchecked (不漏一户).
    """

    interval = timedelta(days=settings.ANJU_REVIEW_CAMPAIGN_INTERVAL_DAYS)
    campaigns = list(
        Campaign.objects.filter(kind__in=REVIEW_KINDS, starts_on__lte=today).prefetch_related(
            "areas"
        )
    )
    for county in Area.objects.filter(level=AreaLevel.COUNTY):
        starts = [
            c.starts_on
            for c in campaigns
            if any(a.code[:6] == county.code[:6] for a in c.areas.all())
        ]
        last = max(starts, default=None)
        if last is None or last + interval < today:
            yield Overdue(
                AlertType.REVIEW_CAMPAIGN_DUE,
                f"county:{county.code}",
                f"{county.name}“回头看”排查",
                county.code,
                last + interval if last else today,
                reverse("inspections:campaign_list"),
            )
    for campaign in campaigns:
        if not (today - timedelta(days=365) <= campaign.ends_on < today):
            continue
        areas = list(campaign.areas.all())
        if not areas:
            continue
        checked = InspectionRecord.objects.filter(campaign=campaign, household=OuterRef("pk"))
        if not campaign_households(campaign, SYSTEM).filter(~Exists(checked)).exists():
            continue
        area_id = areas[0].code if len(areas) == 1 else areas[0].county_code
        yield Overdue(
            AlertType.REVIEW_CAMPAIGN_DUE,
            f"inspections.campaign:{campaign.pk}",
            f"{campaign.name}（有农户未排查）",
            area_id,
            campaign.ends_on,
            campaign.get_absolute_url(),
        )


FINDERS: dict[str, Callable[[dt.date], Iterator[Overdue]]] = {
    AlertType.RECTIFICATION_OVERDUE: rectification_overdue,
    AlertType.APPRAISAL_OVERDUE: appraisal_overdue,
    AlertType.COMPLETION_OVERDUE: completion_overdue,
    AlertType.PAYOUT_OVERDUE: payout_overdue,
    AlertType.NOT_DEMOLISHED: not_demolished,
    AlertType.D_OCCUPIED: d_occupied,
    AlertType.REVIEW_CAMPAIGN_DUE: review_campaign_due,
}
