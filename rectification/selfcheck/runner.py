"""Running the rules: `run()` stores each finding once while it is open, leaves a dismissed or
converted one alone until its data changes, and resolves what no rule reports any more."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Area
from accounts.scoping import unscoped
from rectification.models import FindingStatus, SelfCheckFinding
from rectification.selfcheck.registry import RULES


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
