"""Self-check (自查): rules that find, in our own data, the problems inspectors found elsewhere.

Each rule is a function `(prefix, today) -> list[Finding]` registered with `@rule(...)`; the
prefix narrows it to one county (or less). A finding names its subject (what it is about,
e.g. one household) and a fingerprint of the data that made it a finding: `run()` stores each
subject once while it is open, and a dismissed finding comes back only when its fingerprint
changes (the data changed). Thresholds are settings with defaults.

Document 004 lists the patterns; the ones whose data lives in apps still being written
(renovation, subsidies) are named at the end as TODO and are not registered yet.
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
from django.utils import timezone

from accounts.models import Area
from rectification.models import FindingStatus, ProblemType, SelfCheckFinding


@dataclass
class Finding:
    rule: str
    household_ids: list[int]
    area_code: str
    message: str
    fingerprint: str
    subject: str = ""

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

    return Household.objects.filter(village__code__startswith=prefix).select_related(
        "village", "village__parent"
    )


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
        current_level=SafetyLevel.D, last_occupied=True, ledger_closure__isnull=True
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
        DepartmentListEntry.objects.filter(
            household__village__code__startswith=prefix, appraisal_due__lt=today
        )
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
    return RenovationProject.objects.filter(started_on__isnull=False).values("household_id")


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
        current_appraised_on__lt=today - dt.timedelta(days=days),
        ledger_closure__isnull=True,
    )
    started = _renovation_started_households()
    if started is not None:
        qs = qs.exclude(pk__in=started)
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


# TODO (depend on renovation/subsidies, being written in parallel; not registered yet):
# - "payout_before_acceptance": a Payout dated before the project's accepted_on (004: paid
#   23 Nov, accepted 25 Nov).
# - "acceptance_without_evaluation": accepted_on set but no passed 基本安全评定表.
# - "same_start_completion_dates": >= ANJU_SELFCHECK_SAME_DATES_MIN households of one
#   township with identical (started_on, completed_on).
# - "area_per_person_out_of_standard": built_area vs family size (≤35 / ≤55 / 16–25 m² pp).
# - "old_house_not_demolished": accepted more than ANJU_SELFCHECK_NOT_DEMOLISHED_DAYS days
#   ago, no demolition evidence.
# - "commitment_without_date": a commitment letter (承诺书) without its signing date.


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
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        areas = {}
        for current in selected:
            findings = current.check(prefix, today)
            result.per_rule[current.code] = len(findings)
            seen_open: set[int] = set()
            existing = SelfCheckFinding.objects.filter(
                rule=current.code, area__code__startswith=prefix
            )
            by_subject: dict[str, list[SelfCheckFinding]] = {}
            for f in existing:
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
                        open_row.last_seen = timezone.now()
                        open_row.save(update_fields=["fingerprint", "message", "last_seen"])
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
