"""Rules on renovation projects and their payouts: paid before acceptance, accepted without a
passed safety evaluation, identical dates, the area standard, the old house, the national
system, moving in, the commitment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from rectification.models import ProblemType
from rectification.selfcheck.registry import (
    Finding,
    _date,
    _setting,
    fingerprint,
    household_finding,
    rule,
)
from renovation.models import (
    BUILT_METHODS,
    ENDED,
    Acceptance,
    Commitment,
    NationalStage,
    ProjectStatus,
    RenovationMethod,
    RenovationProject,
)
from renovation.services import area_violation
from subsidies.models import PAYABLE_PROJECT_STATUSES, LineStatus, PayoutLine


def _projects(prefix: str):
    return RenovationProject.objects.in_area(prefix).select_related(
        "household", "household__village", "household__village__parent"
    )


def _project_finding(project, message: str, data) -> Finding:
    """One finding per project (a household may have projects in several years)."""
    return household_finding(
        project.household,
        f"{project.year}年改造项目{message}",
        (project.pk, *data),
        subject=f"project:{project.pk}",
    )


@rule(
    "payout_before_acceptance",
    label="补助资金在竣工验收前拨付",
    title="危房改造补助资金在竣工验收前拨付",
)
def payout_before_acceptance(prefix: str, today: dt.date) -> Iterator[Finding]:
    """Document 004: accepted 25 Nov, paid 23 Nov. A paid batch's line (not a failed one) whose
    project was accepted after the payment date, or is not accepted at all. The database
    refuses such a line when it is written; this finds the ones that got there anyway
    (imported data, an acceptance date corrected afterwards)."""
    lines = (
        PayoutLine.objects.in_area(prefix)
        .filter(batch__paid_on__isnull=False)
        .exclude(status=LineStatus.FAILED)
        .filter(
            Q(project__accepted_on__isnull=True)
            | Q(project__accepted_on__gt=F("batch__paid_on"))
            | ~Q(project__status__in=PAYABLE_PROJECT_STATUSES)
        )
        .select_related(
            "batch",
            "project",
            "project__household",
            "project__household__village",
            "project__household__village__parent",
        )
        .order_by("project__household__village_id", "project__household__head_name", "id")
    )
    for line in lines:
        p, h = line.project, line.project.household
        accepted = (
            f"{_date(p.accepted_on)}才通过竣工验收"
            if p.accepted_on and p.status in PAYABLE_PROJECT_STATUSES
            else f"至今未通过竣工验收（{p.get_status_display()}）"
        )
        yield household_finding(
            h,
            f"{p.year}年危房改造补助{line.amount}元已于{_date(line.batch.paid_on)}"
            f"拨付（批次{line.batch.number}），项目{accepted}。",
            (line.pk, line.batch.paid_on, line.amount, p.accepted_on, p.status),
            subject=f"payout_line:{line.pk}",
        )


@rule(
    "acceptance_without_evaluation",
    label="竣工验收无合格的基本安全评定表",
    title="竣工验收未附基本安全评定合格的评定表",
)
def acceptance_without_evaluation(prefix: str, today: dt.date) -> Iterator[Finding]:
    """An accepted (or closed) project whose acceptance record is missing, whose basic safety
    evaluation did not pass, or that has no evaluation form file."""
    qs = (
        _projects(prefix)
        .filter(status__in=[ProjectStatus.ACCEPTED, ProjectStatus.CLOSED])
        .filter(
            Q(acceptance__isnull=True)
            | Q(acceptance__evaluation_passed=False)
            | Q(acceptance__evaluation_form="")
            | Q(acceptance__evaluation_form__isnull=True)
        )
        .order_by("household__village_id", "household__head_name", "id")
    )
    for p in qs:
        acceptance = Acceptance.objects.filter(project=p).first()
        if acceptance is None:
            problem, data = "没有竣工验收记录", (None,)
        else:
            gaps = []
            if not acceptance.evaluation_passed:
                gaps.append("基本安全评定不合格")
            if not acceptance.evaluation_form:
                gaps.append("未上传基本安全评定表")
            problem = "，".join(gaps)
            data = (
                acceptance.pk,
                acceptance.evaluation_passed,
                acceptance.evaluation_form.name or "",
            )
        yield _project_finding(
            p,
            f"已于{_date(p.accepted_on)}验收（{p.get_status_display()}），但{problem}。",
            (p.accepted_on, *data),
        )


@rule(
    "same_start_completion_dates",
    label="多户开工、竣工日期完全相同",
    title="多户危房改造开工、竣工时间完全相同，档案信息与实际进度不符",
)
def same_start_completion_dates(prefix: str, today: dt.date) -> Iterator[Finding]:
    """Document 004: 田富远等人 all started 11 Oct and completed 20 Oct on paper. At least
    ANJU_SELFCHECK_SAME_DATES_MIN projects of one township with identical start and completion
    dates: one finding per (township, start, completion), naming every household."""
    minimum = _setting("ANJU_SELFCHECK_SAME_DATES_MIN", 5)
    # The group is the township: a run over one village still counts its whole township.
    projects = (
        _projects(prefix[:9])
        .filter(started_on__isnull=False, completed_on__isnull=False)
        .exclude(status__in=[s.value for s in ENDED])
        .order_by("household__village_id", "household__head_name", "id")
    )
    groups: dict[tuple, list] = {}
    for p in projects:
        key = (p.household.village.parent_id, p.started_on, p.completed_on)
        groups.setdefault(key, []).append(p)
    for (township, started, completed), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])
    ):
        if len(members) < minimum:
            continue
        names = "、".join(f"{p.household.village.name}{p.household.head_name}" for p in members)
        yield Finding(
            household_ids=sorted({p.household_id for p in members}),
            area_code=township,
            subject=f"{township}:{started.isoformat()}:{completed.isoformat()}",
            message=(
                f"{members[0].household.village.parent.name}{len(members)}户危房改造开工日期均为"
                f"{_date(started)}、竣工日期均为{_date(completed)}，请核实是否与实际进度相符："
                f"{names}。"
            ),
            fingerprint=fingerprint(
                started, completed, sorted((p.pk, p.household_id) for p in members)
            ),
        )


@rule(
    "area_per_person_out_of_standard",
    label="改造后建筑面积不符合面积标准",
    title="农村危房改造建设面积不达标",
    problem_type=ProblemType.POLICY,
)
def area_per_person_out_of_standard(prefix: str, today: dt.date) -> Iterator[Finding]:
    """Document 004: 7 persons, 57 m² (8 m² per person). An accepted rebuilt/new house whose
    built area breaks the county's standard for the year, with no justified exception.

    The check itself is renovation's own (`area_violation`, the one acceptance applies). Note
    that it reads the standard through `area_standard_for`, which stores the default standard
    for a county and year that has none yet (as acceptance would have done)."""
    qs = (
        _projects(prefix)
        .filter(
            status__in=[ProjectStatus.ACCEPTED, ProjectStatus.CLOSED],
            method__in=[m.value for m in BUILT_METHODS],
            built_area__isnull=False,
            area_exception__isnull=True,
        )
        .order_by("household__village_id", "household__head_name", "id")
    )
    for p in qs:
        violation = area_violation(p, p.built_area)
        if violation:
            yield _project_finding(
                p,
                f"（{p.get_method_display()}）已验收，{violation}",
                (str(p.built_area), p.household.family_size, p.method, violation),
            )


@rule(
    "old_house_not_demolished",
    label="验收后长期未拆除旧房",
    title="农村危房改造建新未拆旧问题仍然存在",
    problem_type=ProblemType.POLICY,
)
def old_house_not_demolished(prefix: str, today: dt.date) -> Iterator[Finding]:
    """建新必拆旧: accepted more than N days ago, no demolition record and no recorded reason why
    none is needed. A repaired house is the old house itself (renovation refuses a demolition
    record for it and asks for the reason instead): repairs are not held to this rule."""
    days = _setting("ANJU_SELFCHECK_NOT_DEMOLISHED_DAYS", 90)
    qs = (
        _projects(prefix)
        .annotate(since=Coalesce("moved_in_on", "accepted_on"))
        .filter(
            status__in=[ProjectStatus.ACCEPTED, ProjectStatus.CLOSED],
            since__lt=today - dt.timedelta(days=days),
            demolition__isnull=True,
            demolition_not_applicable_reason="",
        )
        .exclude(method=RenovationMethod.REPAIR)
        .order_by("household__village_id", "household__head_name", "id")
    )
    for p in qs:
        yield _project_finding(
            p,
            f"（{p.get_method_display()}）于{_date(p.since)}"
            f"{'入住新房' if p.moved_in_on else '竣工验收'}，已超过{days}天"
            "仍未登记旧房拆除（拆除日期和照片），也没有无需拆除的理由。",
            (p.since, days),
        )


@rule(
    "national_entry_late",
    label="国家系统信息录入滞后",
    title="农村危房改造信息未及时录入全国系统（开工一户、填报一户）",
    problem_type=ProblemType.POLICY,
)
def national_entry_late(prefix: str, today: dt.date) -> Iterator[Finding]:
    """开工、竣工、验收、拨付 each entered in the national system within N days
    (ANJU_NATIONAL_ENTRY_DAYS, default 10): entered later, or still not after N days."""
    days = _setting("ANJU_NATIONAL_ENTRY_DAYS", 10)
    late = dt.timedelta(days=days)
    paid = PayoutLine.objects.unscoped("the self-check reads the areas it is given").filter(
        project=OuterRef("pk"), status=LineStatus.PAID
    )
    projects = (
        _projects(prefix)
        .filter(started_on__isnull=False)
        .annotate(
            first_paid_on=Subquery(paid.order_by("batch__paid_on").values("batch__paid_on")[:1])
        )
        .prefetch_related("national_entries")
        .order_by("household__village_id", "household__head_name", "id")
    )
    for project in projects:
        entered = {e.stage: e.entered_on for e in project.national_entries.all()}
        stage_dates = {
            NationalStage.STARTED: project.started_on,
            NationalStage.COMPLETED: project.completed_on,
            NationalStage.ACCEPTED: project.accepted_on,
            NationalStage.PAID: project.first_paid_on,
        }
        problems = []
        for stage in NationalStage:
            happened = stage_dates[stage]
            if happened is None:
                continue
            on = entered.get(stage)
            if on is None and happened + late < today:
                problems.append(f"{stage.label}（{_date(happened)}）超过{days}天未录入")
            elif on is not None and on - happened > late:
                problems.append(f"{stage.label}于{_date(on)}才录入，晚{(on - happened).days}天")
        if problems:
            yield _project_finding(
                project,
                "国家系统录入：" + "；".join(problems) + "。",
                (tuple(sorted(entered.items())), days),
            )


@rule(
    "moved_in_before_acceptance",
    label="验收前入住",
    title="农户在竣工验收前入住新房",
    problem_type=ProblemType.POLICY,
)
def moved_in_before_acceptance(prefix: str, today: dt.date) -> Iterator[Finding]:
    """入住 comes after passing acceptance; the step refuses otherwise, so this finds
    imported or corrected records."""
    qs = (
        _projects(prefix)
        .filter(moved_in_on__isnull=False)
        .filter(Q(accepted_on__isnull=True) | Q(moved_in_on__lt=F("accepted_on")))
        .order_by("household__village_id", "household__head_name", "id")
    )
    for p in qs:
        yield _project_finding(
            p,
            f"于{_date(p.moved_in_on)}入住，"
            + (f"竣工验收日期为{_date(p.accepted_on)}。" if p.accepted_on else "尚未竣工验收。"),
            (p.moved_in_on, p.accepted_on),
        )


@rule(
    "commitment_without_date",
    label="承诺书无签订日期",
    title="拆旧建新及安全责任承诺书没有签订时间",
)
def commitment_without_date(prefix: str, today: dt.date) -> Iterator[Finding]:
    """Document 004: a 拆旧建新及安全责任承诺书 without its signing date. Anju cannot store a
    commitment without a date (signed_on is required), so in practice this finds projects past
    the notification (under construction or later) with no commitment at all: construction
    should not have started without one (imported data, or records entered out of order)."""
    past_notified = [
        ProjectStatus.UNDER_CONSTRUCTION,
        ProjectStatus.COMPLETED,
        ProjectStatus.ACCEPTED,
        ProjectStatus.CLOSED,
    ]
    qs = (
        _projects(prefix)
        .filter(status__in=past_notified)
        .filter(Q(commitment__isnull=True) | Q(commitment__signed_on__isnull=True))
        .order_by("household__village_id", "household__head_name", "id")
    )
    for p in qs:
        commitment = Commitment.objects.filter(project=p).first()
        state = "承诺书没有签订日期" if commitment else "没有录入拆旧建新及安全责任承诺书"
        yield _project_finding(
            p,
            f"已函告（{_date(p.notified_on)}）并进入“{p.get_status_display()}”，但{state}。",
            (p.notified_on, commitment.pk if commitment else None),
        )
