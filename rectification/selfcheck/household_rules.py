"""Rules on households and their appraisals: a D house lived in, a newly listed household not
appraised in time, a C/D house whose renovation has not started."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.apps import apps
from django.db.models import Exists, OuterRef

from households.models import Household
from inspections.models import Appraisal, DepartmentListEntry, SafetyLevel
from inspections.selectors import with_current_appraisal, with_last_inspection
from rectification.models import ProblemType
from rectification.selfcheck.registry import (
    Finding,
    _date,
    _setting,
    household_finding,
    rule,
)


def _households(prefix: str):
    return Household.objects.in_area(prefix).select_related("village", "village__parent")


@rule(
    "d_house_occupied",
    label="D级危房仍有人居住",
    title="D级危房仍有人居住，存在安全隐患",
    problem_type=ProblemType.POLICY,
)
def d_house_occupied(prefix: str, today: dt.date) -> Iterator[Finding]:
    """危房不住人: current appraisal D, and the latest inspection found people living there."""
    qs = with_last_inspection(with_current_appraisal(_households(prefix))).filter(
        current_level=SafetyLevel.D, last_occupied=True
    )
    for h in qs.order_by("village_id", "head_name", "id"):
        yield household_finding(
            h,
            f"房屋于{_date(h.current_appraised_on)}鉴定为D级危房，{_date(h.last_inspected_on)}"
            "排查时仍有人居住。",
            (h.current_appraisal_id, h.last_inspected_on, True),
        )


@rule(
    "new_list_not_appraised",
    label="新增名单5个工作日内未鉴定",
    title="新增农村低收入群体名单未在5个工作日内完成住房安全鉴定",
)
def new_list_not_appraised(prefix: str, today: dt.date) -> Iterator[Finding]:
    """Document 004: the county appraises every newly listed household within 5 working days."""
    # Same rule as inspections.selectors.overdue_condition, per list entry.
    in_time = Appraisal.objects.filter(
        household=OuterRef("household"), appraised_on__lte=OuterRef("appraisal_due")
    )
    entries = (
        DepartmentListEntry.objects.in_area(prefix)
        .filter(appraisal_due__lt=today)
        .filter(~Exists(in_time))
        .select_related("household", "household__village", "household__village__parent")
        .select_related("department_list")
        .order_by("household__village_id", "household__head_name", "id")
    )
    for entry in entries:
        h = entry.household
        late = (
            Appraisal.objects.filter(household=h, appraised_on__gt=entry.appraisal_due)
            .order_by("appraised_on")
            .values_list("appraised_on", flat=True)
            .first()
        )
        state = f"至{_date(late)}才鉴定" if late else "至今未鉴定"
        yield household_finding(
            h,
            f"{entry.department_list.get_department_display()}名单"
            f"{_date(entry.department_list.received_on)}收到，应于"
            f"{_date(entry.appraisal_due)}前完成鉴定，{state}。",
            (entry.pk, entry.appraisal_due, late),
            subject=f"entry:{entry.pk}",
        )


def _renovation_started_households():
    """Households whose renovation has started; None when the renovation app is absent."""
    if not apps.is_installed("renovation"):
        return None
    try:  # inside the function: the renovation app may be absent (checked just above)
        from renovation.models import RenovationProject
    except ImportError:
        return None
    return RenovationProject.objects.unscoped("the self-check reads every area it is given").filter(
        started_on__isnull=False
    )


@rule(
    "cd_not_started",
    label="C/D级危房鉴定后长期未开工改造",
    title="C/D级危房鉴定后长期未实施改造",
    problem_type=ProblemType.POLICY,
)
def cd_not_started(prefix: str, today: dt.date) -> Iterator[Finding]:
    """A C/D house appraised more than N days ago and its renovation has not started."""
    days = _setting("ANJU_SELFCHECK_NOT_STARTED_DAYS", 90)
    qs = with_current_appraisal(_households(prefix)).filter(
        current_level__in=[SafetyLevel.C, SafetyLevel.D],
        current_state_on__lt=today - dt.timedelta(days=days),
    )
    started = _renovation_started_households()
    if started is not None:
        # Only a renovation started since the house became dangerous again counts: one
        # from before a later C/D appraisal (a renovated house damaged again) does not.
        qs = qs.exclude(
            Exists(
                started.filter(
                    household_id=OuterRef("pk"), started_on__gte=OuterRef("current_state_on")
                )
            )
        )
    for h in qs.order_by("village_id", "head_name", "id"):
        yield household_finding(
            h,
            f"房屋于{_date(h.current_appraised_on)}鉴定为{h.current_level}级危房，"
            f"已超过{days}天仍未开工改造。",
            (h.current_appraisal_id, days),
        )
