"""Self-check (自查): rules that find, in our own data, the problems inspectors found elsewhere.

Each rule is a function `(prefix, today) -> list[Finding]` registered with `@rule(...)`; the
prefix narrows it to one county (or less). A finding names its subject (what it is about,
e.g. one household) and a fingerprint of the data that made it a finding: `run()` stores each
subject once while it is open, and a dismissed finding comes back only when its fingerprint
changes (the data changed). Thresholds are settings with defaults.

Document 004 lists the patterns; each one is a rule below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Area
from accounts.scoping import unscoped
from rectification.models import RULE_LABELS, FindingStatus, ProblemType, SelfCheckFinding


@dataclass
class Finding:
    rule: str
    household_ids: list[int]
    area_code: str
    message: str
    fingerprint: str
    subject: str = ""
    #: Photos the finding is about ("i:<pk>" inspections, "r:<pk>" renovation), shown side by
    #: side on the finding's page.
    photos: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.subject:
            ids = ",".join(str(i) for i in sorted(self.household_ids))
            self.subject = f"{self.area_code}:{ids}"


@dataclass
class Rule:
    code: str
    label: str
    problem_type: str
    title: str
    check: Callable[[str, dt.date], list[Finding]] = field(repr=False)


RULES: dict[str, Rule] = {}


def rule(code: str, *, label: str, title: str, problem_type: str = ProblemType.WORK):
    """Register a rule; `title` becomes 具体问题 of the ledger item it is converted into."""

    def decorator(func):
        if code in RULES:
            raise ValueError(f"self-check rule {code!r} registered twice")
        RULES[code] = Rule(
            code=code, label=label, problem_type=problem_type, title=title, check=func
        )
        RULE_LABELS[code] = label
        return func

    return decorator


def fingerprint(*parts) -> str:
    data = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def _households(prefix: str):
    from households.models import Household

    return Household.objects.in_area(prefix).select_related("village", "village__parent")


# --- rules ------------------------------------------------------------------------------


@rule(
    "d_house_occupied",
    label="D级危房仍有人居住",
    title="D级危房仍有人居住，存在安全隐患",
    problem_type=ProblemType.POLICY,
)
def d_house_occupied(prefix: str, today: dt.date) -> list[Finding]:
    """危房不住人: current appraisal D, and the latest inspection found people living there."""
    from inspections.models import SafetyLevel
    from inspections.selectors import with_current_appraisal, with_last_inspection

    qs = with_last_inspection(with_current_appraisal(_households(prefix))).filter(
        current_level=SafetyLevel.D, last_occupied=True
    )
    return [
        Finding(
            rule="d_house_occupied",
            household_ids=[h.pk],
            area_code=h.village_id,
            message=(
                f"{h.village.parent.name}{h.village.name} {h.head_name}：房屋于"
                f"{_date(h.current_appraised_on)}鉴定为D级危房，{_date(h.last_inspected_on)}"
                "排查时仍有人居住。"
            ),
            fingerprint=fingerprint(h.current_appraisal_id, h.last_inspected_on, True),
        )
        for h in qs.order_by("village_id", "head_name", "id")
    ]


@rule(
    "new_list_not_appraised",
    label="新增名单5个工作日内未鉴定",
    title="新增农村低收入群体名单未在5个工作日内完成住房安全鉴定",
)
def new_list_not_appraised(prefix: str, today: dt.date) -> list[Finding]:
    """Document 004: the county appraises every newly listed household within 5 working days."""
    from django.db.models import Exists, OuterRef

    from inspections.models import Appraisal, DepartmentListEntry

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
    findings = []
    for entry in entries:
        h = entry.household
        late = (
            Appraisal.objects.filter(household=h, appraised_on__gt=entry.appraisal_due)
            .order_by("appraised_on")
            .values_list("appraised_on", flat=True)
            .first()
        )
        state = f"至{_date(late)}才鉴定" if late else "至今未鉴定"
        findings.append(
            Finding(
                rule="new_list_not_appraised",
                household_ids=[h.pk],
                area_code=h.village_id,
                subject=f"entry:{entry.pk}",
                message=(
                    f"{h.village.parent.name}{h.village.name} {h.head_name}："
                    f"{entry.department_list.get_department_display()}名单"
                    f"{_date(entry.department_list.received_on)}收到，应于"
                    f"{_date(entry.appraisal_due)}前完成鉴定，{state}。"
                ),
                fingerprint=fingerprint(entry.pk, entry.appraisal_due, late),
            )
        )
    return findings


def _renovation_started_households():
    """Households whose renovation has started; None when the renovation app is absent."""
    if not apps.is_installed("renovation"):
        return None
    try:
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
def cd_not_started(prefix: str, today: dt.date) -> list[Finding]:
    """A C/D house appraised more than N days ago and its renovation has not started."""
    from inspections.models import SafetyLevel
    from inspections.selectors import with_current_appraisal

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
    return [
        Finding(
            rule="cd_not_started",
            household_ids=[h.pk],
            area_code=h.village_id,
            message=(
                f"{h.village.parent.name}{h.village.name} {h.head_name}：房屋于"
                f"{_date(h.current_appraised_on)}鉴定为{h.current_level}级危房，"
                f"已超过{days}天仍未开工改造。"
            ),
            fingerprint=fingerprint(h.current_appraisal_id, days),
        )
        for h in qs.order_by("village_id", "head_name", "id")
    ]


# --- rules on renovation projects and payouts ---------------------------------------------


def _projects(prefix: str):
    from renovation.models import RenovationProject

    return RenovationProject.objects.in_area(prefix).select_related(
        "household", "household__village", "household__village__parent"
    )


def _who(household) -> str:
    return f"{household.village.parent.name}{household.village.name} {household.head_name}"


def _project_finding(code: str, project, message: str, data) -> Finding:
    """One finding per project (a household may have projects in several years)."""
    h = project.household
    return Finding(
        rule=code,
        household_ids=[h.pk],
        area_code=h.village_id,
        subject=f"project:{project.pk}",
        message=f"{_who(h)}：{project.year}年改造项目{message}",
        fingerprint=fingerprint(project.pk, *data),
    )


@rule(
    "payout_before_acceptance",
    label="补助资金在竣工验收前拨付",
    title="危房改造补助资金在竣工验收前拨付",
)
def payout_before_acceptance(prefix: str, today: dt.date) -> list[Finding]:
    """Document 004: accepted 25 Nov, paid 23 Nov. A paid batch's line (not a failed one) whose
    project was accepted after the payment date, or is not accepted at all. The database
    refuses such a line when it is written; this finds the ones that got there anyway
    (imported data, an acceptance date corrected afterwards)."""
    from django.db.models import F

    from subsidies.models import PAYABLE_PROJECT_STATUSES, LineStatus, PayoutLine

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
    findings = []
    for line in lines:
        p, h = line.project, line.project.household
        accepted = (
            f"{_date(p.accepted_on)}才通过竣工验收"
            if p.accepted_on and p.status in PAYABLE_PROJECT_STATUSES
            else f"至今未通过竣工验收（{p.get_status_display()}）"
        )
        findings.append(
            Finding(
                rule="payout_before_acceptance",
                household_ids=[h.pk],
                area_code=h.village_id,
                subject=f"payout_line:{line.pk}",
                message=(
                    f"{_who(h)}：{p.year}年危房改造补助{line.amount}元已于{_date(line.batch.paid_on)}"
                    f"拨付（批次{line.batch.number}），项目{accepted}。"
                ),
                fingerprint=fingerprint(
                    line.pk, line.batch.paid_on, line.amount, p.accepted_on, p.status
                ),
            )
        )
    return findings


@rule(
    "acceptance_without_evaluation",
    label="竣工验收无合格的基本安全评定表",
    title="竣工验收未附基本安全评定合格的评定表",
)
def acceptance_without_evaluation(prefix: str, today: dt.date) -> list[Finding]:
    """An accepted (or closed) project whose acceptance record is missing, whose basic safety
    evaluation did not pass, or that has no evaluation form file."""
    from renovation.models import Acceptance, ProjectStatus

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
    findings = []
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
        findings.append(
            _project_finding(
                "acceptance_without_evaluation",
                p,
                f"已于{_date(p.accepted_on)}验收（{p.get_status_display()}），但{problem}。",
                (p.accepted_on, *data),
            )
        )
    return findings


@rule(
    "same_start_completion_dates",
    label="多户开工、竣工日期完全相同",
    title="多户危房改造开工、竣工时间完全相同，档案信息与实际进度不符",
)
def same_start_completion_dates(prefix: str, today: dt.date) -> list[Finding]:
    """Document 004: 田富远等人 all started 11 Oct and completed 20 Oct on paper. At least
    ANJU_SELFCHECK_SAME_DATES_MIN projects of one township with identical start and completion
    dates: one finding per (township, start, completion), naming every household."""
    from renovation.models import ENDED

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
    findings = []
    for (township, started, completed), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])
    ):
        if len(members) < minimum:
            continue
        names = "、".join(f"{p.household.village.name}{p.household.head_name}" for p in members)
        findings.append(
            Finding(
                rule="same_start_completion_dates",
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
        )
    return findings


@rule(
    "area_per_person_out_of_standard",
    label="改造后建筑面积不符合面积标准",
    title="农村危房改造建设面积不达标",
    problem_type=ProblemType.POLICY,
)
def area_per_person_out_of_standard(prefix: str, today: dt.date) -> list[Finding]:
    """Document 004: 7 persons, 57 m² (8 m² per person). An accepted rebuilt/new house whose
    built area breaks the county's standard for the year, with no justified exception.

    The check itself is renovation's own (`area_violation`, the one acceptance applies). Note
    that it reads the standard through `area_standard_for`, which stores the default standard
    for a county and year that has none yet (as acceptance would have done)."""
    from renovation.models import BUILT_METHODS, ProjectStatus
    from renovation.services import area_violation

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
    findings = []
    for p in qs:
        violation = area_violation(p, p.built_area)
        if not violation:
            continue
        findings.append(
            _project_finding(
                "area_per_person_out_of_standard",
                p,
                f"（{p.get_method_display()}）已验收，{violation}",
                (str(p.built_area), p.household.family_size, p.method, violation),
            )
        )
    return findings


@rule(
    "old_house_not_demolished",
    label="验收后长期未拆除旧房",
    title="农村危房改造建新未拆旧问题仍然存在",
    problem_type=ProblemType.POLICY,
)
def old_house_not_demolished(prefix: str, today: dt.date) -> list[Finding]:
    """建新必拆旧: accepted more than N days ago, no demolition record and no recorded reason why
    none is needed. A repaired house is the old house itself (renovation refuses a demolition
    record for it and asks for the reason instead): repairs are not held to this rule."""
    from renovation.models import ProjectStatus, RenovationMethod

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
    return [
        _project_finding(
            "old_house_not_demolished",
            p,
            f"（{p.get_method_display()}）于{_date(p.since)}"
            f"{'入住新房' if p.moved_in_on else '竣工验收'}，已超过{days}天"
            "仍未登记旧房拆除（拆除日期和照片），也没有无需拆除的理由。",
            (p.since, days),
        )
        for p in qs
    ]


@rule(
    "national_entry_late",
    label="国家系统信息录入滞后",
    title="农村危房改造信息未及时录入全国系统（开工一户、填报一户）",
    problem_type=ProblemType.POLICY,
)
def national_entry_late(prefix: str, today: dt.date) -> list[Finding]:
    """开工、竣工、验收、拨付 each entered in the national system within N days
    (ANJU_NATIONAL_ENTRY_DAYS, default 10): entered later, or still not after N days."""
    from renovation.models import NationalStage
    from subsidies.models import LineStatus, PayoutLine

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
    findings = []
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
            findings.append(
                _project_finding(
                    "national_entry_late",
                    project,
                    "国家系统录入：" + "；".join(problems) + "。",
                    (tuple(sorted(entered.items())), days),
                )
            )
    return findings


@rule(
    "moved_in_before_acceptance",
    label="验收前入住",
    title="农户在竣工验收前入住新房",
    problem_type=ProblemType.POLICY,
)
def moved_in_before_acceptance(prefix: str, today: dt.date) -> list[Finding]:
    """入住 comes after passing acceptance; the step refuses otherwise, so this finds
    imported or corrected records."""
    qs = (
        _projects(prefix)
        .filter(moved_in_on__isnull=False)
        .filter(Q(accepted_on__isnull=True) | Q(moved_in_on__lt=F("accepted_on")))
        .order_by("household__village_id", "household__head_name", "id")
    )
    return [
        _project_finding(
            "moved_in_before_acceptance",
            p,
            f"于{_date(p.moved_in_on)}入住，"
            + (f"竣工验收日期为{_date(p.accepted_on)}。" if p.accepted_on else "尚未竣工验收。"),
            (p.moved_in_on, p.accepted_on),
        )
        for p in qs
    ]


@rule(
    "commitment_without_date",
    label="承诺书无签订日期",
    title="拆旧建新及安全责任承诺书没有签订时间",
)
def commitment_without_date(prefix: str, today: dt.date) -> list[Finding]:
    """Document 004: a 拆旧建新及安全责任承诺书 without its signing date. Anju cannot store a
    commitment without a date (signed_on is required), so in practice this finds projects past
    the notification (under construction or later) with no commitment at all: construction
    should not have started without one (imported data, or records entered out of order)."""
    from renovation.models import Commitment, ProjectStatus

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
    findings = []
    for p in qs:
        commitment = Commitment.objects.filter(project=p).first()
        state = "承诺书没有签订日期" if commitment else "没有录入拆旧建新及安全责任承诺书"
        findings.append(
            _project_finding(
                "commitment_without_date",
                p,
                f"已函告（{_date(p.notified_on)}）并进入“{p.get_status_display()}”，但{state}。",
                (p.notified_on, commitment.pk if commitment else None),
            )
        )
    return findings


# --- running ----------------------------------------------------------------------------


@dataclass
class RunResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resolved: int = 0
    per_rule: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return (
            f"新发现 {self.created} 条，更新 {self.updated} 条，仍存在 {self.unchanged} 条，"
            f"已消除 {self.resolved} 条。"
        )


_LOCK_KEY = 0x5E1FC4EC  # one self-check run at a time (pg_advisory_xact_lock)


def run(*, prefix: str = "", today: dt.date | None = None, rules=None) -> RunResult:
    """Run the rules over the area `prefix` ('' = everything) and store their findings.

    Idempotent: an open finding is updated, not duplicated; a dismissed or converted one with
    the same fingerprint is left alone; an open finding no rule reports any more is resolved.
    """
    today = today or timezone.localdate()
    selected = [RULES[c] for c in rules] if rules else list(RULES.values())
    result = RunResult()
    # The rules read every table of the area `prefix`, which the caller (the service, for a
    # user) has already narrowed to that user's area: the run acts for the system within it.
    with unscoped("self-check run over an explicit area prefix"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        areas = {}
        for current in selected:
            findings = current.check(prefix, today)
            result.per_rule[current.code] = len(findings)
            seen_open: set[int] = set()
            existing = SelfCheckFinding.objects.in_area(prefix).filter(rule=current.code)
            # A finding may concern an area wider than `prefix` (a township group found by a
            # run over one village): look its subject up wherever it is stored.
            subjects = [found.subject for found in findings]
            by_subject: dict[str, list[SelfCheckFinding]] = {}
            found_here = SelfCheckFinding.objects.area_q(prefix) | Q(subject__in=subjects)
            # Findings stored elsewhere for these subjects belong to the system's run.
            for f in (
                SelfCheckFinding.objects.unscoped("self-check run")
                .filter(rule=current.code)
                .filter(found_here)
            ):
                by_subject.setdefault(f.subject, []).append(f)
            for found in findings:
                rows = by_subject.get(found.subject, [])
                if any(
                    r.fingerprint == found.fingerprint
                    and r.status in (FindingStatus.DISMISSED, FindingStatus.CONVERTED)
                    for r in rows
                ):
                    continue  # dismissed or converted, and nothing changed since
                open_row = next((r for r in rows if r.status == FindingStatus.OPEN), None)
                if open_row is not None:
                    seen_open.add(open_row.pk)
                    if open_row.fingerprint == found.fingerprint:
                        SelfCheckFinding.objects.filter(pk=open_row.pk).update(
                            last_seen=timezone.now(), message=found.message
                        )
                        result.unchanged += 1
                    else:
                        open_row.fingerprint = found.fingerprint
                        open_row.message = found.message
                        open_row.photos = found.photos
                        open_row.last_seen = timezone.now()
                        open_row.save(
                            update_fields=["fingerprint", "message", "photos", "last_seen"]
                        )
                        open_row.households.set(found.household_ids)
                        result.updated += 1
                    continue
                if found.area_code not in areas:
                    areas[found.area_code] = Area.objects.get(pk=found.area_code)
                row = SelfCheckFinding.objects.create(
                    rule=current.code,
                    subject=found.subject,
                    area=areas[found.area_code],
                    message=found.message,
                    fingerprint=found.fingerprint,
                    photos=found.photos,
                )
                row.households.set(found.household_ids)
                seen_open.add(row.pk)
                result.created += 1
            result.resolved += (
                existing.filter(status=FindingStatus.OPEN)
                .exclude(pk__in=seen_open)
                .update(status=FindingStatus.RESOLVED, last_seen=timezone.now())
            )
    return result
