"""Reads shared by pages, the API and exports (every one scoped to the user's area)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import Area, Role
from households.models import Household
from inspections.models import (
    LEDGER_LEVELS,
    Appraisal,
    Campaign,
    DepartmentListEntry,
    EmergencyMeasure,
    HazardReport,
    HazardStatus,
    Holiday,
    InspectionRecord,
    SafetyLevel,
    SafetyState,
    StateSource,
)


def holiday_calendar() -> tuple[set[dt.date], set[dt.date]]:
    """(holidays, make-up working days) from the admin-maintained table."""
    holidays, workdays = set(), set()
    for day, is_workday in Holiday.objects.values_list("date", "is_workday"):
        (workdays if is_workday else holidays).add(day)
    return holidays, workdays


def _current_appraisal(household_ref: str = "pk"):
    return Appraisal.objects.filter(household=OuterRef(household_ref)).order_by(
        "-appraised_on", "-id"
    )


def overdue_condition(today: dt.date, household_ref: str = "pk") -> Exists:
    """Listed by a department, due date passed, and no appraisal dated on or before it."""
    in_time = Appraisal.objects.filter(
        household=OuterRef("household"), appraised_on__lte=OuterRef("appraisal_due")
    )
    return Exists(
        DepartmentListEntry.objects.filter(
            household=OuterRef(household_ref), appraisal_due__lt=today
        ).filter(~Exists(in_time))
    )


def with_current_appraisal(qs: QuerySet) -> QuerySet:
    """Annotate households with their current safety state (`current_level`, `current_state_on`:
    the one selector every list, report, export and self-check rule reads) and the newest
    appraisal (`current_appraisal_id`, `current_method`, `current_appraised_on`). A house
    renovated and closed out is `safe` until an appraisal after it says otherwise; the
    newest close-out is `renovated_on`."""
    current = _current_appraisal()
    renovated = SafetyState.objects.filter(
        household=OuterRef("pk"), source__in=[StateSource.CLOSEOUT, StateSource.HISTORIC]
    ).order_by("-on", "-id")
    return qs.annotate(
        current_appraisal_id=Subquery(current.values("id")[:1]),
        # Kept on the household by the safety states' trigger (indexed): no subquery.
        current_level=F("safety_level"),
        current_state_on=F("safety_level_on"),
        current_method=Subquery(current.values("method")[:1]),
        current_appraised_on=Subquery(current.values("appraised_on")[:1]),
        renovated_on=Subquery(renovated.values("on")[:1]),
    )


def current_state(household: Household) -> SafetyState | None:
    return (
        SafetyState.objects.unscoped("of the held household")
        .filter(household=household)
        .select_related("appraisal")
        .order_by("-on", "-id")
        .first()
    )


def with_last_inspection(qs: QuerySet) -> QuerySet:
    """`last_inspected_on` / `last_occupied`: the newest inspection, kept on the household by
    the inspection records' trigger (no subquery per household)."""
    return qs.annotate(
        last_inspected_on=F("latest_inspection_on"), last_occupied=F("latest_occupied")
    )


def current_appraisal(household: Household) -> Appraisal | None:
    return household.appraisals.order_by("-appraised_on", "-id").first()


def household_overview(user, today: dt.date | None = None) -> QuerySet:
    """Visible households with current level, last inspection and the overdue flag."""
    today = today or timezone.localdate()
    qs = Household.objects.visible_to(user).select_related("village", "village__parent")
    qs = with_last_inspection(with_current_appraisal(qs))
    return qs.annotate(overdue=overdue_condition(today))


def ledger(user, today: dt.date | None = None) -> QuerySet:
    """危房台账: current safety state C, D or no house (a renovated house appraised C/D again
    is back, with `renovated_on`); emergencies first."""
    qs = household_overview(user, today).filter(current_level__in=LEDGER_LEVELS)
    qs = qs.annotate(
        emergency=Case(
            When(Q(current_level=SafetyLevel.D, last_occupied=True), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    return qs.prefetch_related(
        Prefetch(
            "emergency_measures",
            queryset=EmergencyMeasure.objects.order_by("-taken_on", "-id"),
            to_attr="measures",
        )
    ).order_by("-emergency", "village_id", "head_name", "id")


def pending_appraisals(user, today: dt.date | None = None) -> QuerySet:
    """待鉴定: listed households with no appraisal since the list arrived, earliest due first."""
    today = today or timezone.localdate()
    appraised = Appraisal.objects.filter(
        household=OuterRef("household"),
        appraised_on__gte=OuterRef("department_list__received_on"),
    )
    return (
        DepartmentListEntry.objects.visible_to(user)
        .filter(~Exists(appraised))
        .select_related(
            "household", "household__village", "household__village__parent", "department_list"
        )
        .annotate(
            overdue=Case(
                When(appraisal_due__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("appraisal_due", "id")
    )


def hazard_list(user) -> QuerySet:
    return (
        HazardReport.objects.visible_to(user)
        .select_related(
            "household",
            "household__village",
            "household__village__parent",
            "reporter",
            "verified_by",
        )
        .prefetch_related("photos")
    )


def hazard_queue(user) -> QuerySet:
    """What waits for this user's level, most urgent and newest first."""
    qs = hazard_list(user)
    role = getattr(user, "role", "")
    if role == Role.TOWNSHIP_STAFF:
        qs = qs.filter(status=HazardStatus.REPORTED)
    elif role in (Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER):
        qs = qs.filter(status=HazardStatus.VERIFIED)
    elif role == Role.VILLAGE_CLERK:
        pass  # the clerk follows every report of the village, whatever its state
    return qs.order_by("-urgent", "-reported_on", "-id")


def inspection_list(user) -> QuerySet:
    return (
        InspectionRecord.objects.visible_to(user)
        .select_related(
            "household", "household__village", "household__village__parent", "inspector", "campaign"
        )
        .prefetch_related("photos")
    )


def appraisal_list(user) -> QuerySet:
    return (
        Appraisal.objects.visible_to(user)
        .select_related(
            "household", "household__village", "household__village__parent", "created_by"
        )
        .prefetch_related("photos")
    )


def campaign_list(user) -> QuerySet:
    return Campaign.objects.visible_to(user).prefetch_related("areas")


def campaign_households(campaign: Campaign, user) -> QuerySet:
    """Households in the campaign's scope that the user may see."""
    condition = Q(pk__in=[])
    for area in campaign.areas.all():
        condition |= Household.objects.area_q(area)
    return Household.objects.visible_to(user).filter(condition)


@dataclass
class ProgressRow:
    area: Area
    total: int = 0
    checked: int = 0
    unchecked: list = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.checked / self.total) if self.total else 0


@dataclass
class CampaignProgress:
    total: int
    checked: int
    townships: list[ProgressRow]
    villages: list[ProgressRow]

    @property
    def percent(self) -> int:
        return round(100 * self.checked / self.total) if self.total else 0

    @property
    def unchecked(self) -> list:
        return [h for row in self.villages for h in row.unchecked]


def campaign_progress(campaign: Campaign, user) -> CampaignProgress:
    """不漏一户: checked = has an inspection linked to the campaign."""
    checked = InspectionRecord.objects.filter(campaign=campaign, household=OuterRef("pk"))
    households = (
        campaign_households(campaign, user)
        .select_related("village", "village__parent")
        .annotate(checked=Exists(checked))
        .order_by("village_id", "head_name", "id")
    )
    townships: dict[str, ProgressRow] = {}
    villages: dict[str, ProgressRow] = {}
    for household in households:
        village = household.village
        rows = (
            townships.setdefault(village.parent_id, ProgressRow(area=village.parent)),
            villages.setdefault(village.code, ProgressRow(area=village)),
        )
        for row in rows:
            row.total += 1
            if household.checked:
                row.checked += 1
            else:
                row.unchecked.append(household)
    total = sum(r.total for r in villages.values())
    done = sum(r.checked for r in villages.values())
    for row in townships.values():
        row.unchecked = []  # listed per village only
    return CampaignProgress(
        total=total,
        checked=done,
        townships=sorted(townships.values(), key=lambda r: r.area.code),
        villages=sorted(villages.values(), key=lambda r: r.area.code),
    )
