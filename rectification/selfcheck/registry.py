"""The rule registry: `Finding`, `Rule`, `@rule(...)` that fills `RULES` (and the labels of
`rectification.models.RULE_LABELS`), and the helpers every rule uses."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings

from rectification.models import RULE_LABELS, ProblemType


@dataclass
class Finding:
    household_ids: list[int]
    area_code: str
    message: str
    fingerprint: str
    subject: str = ""
    #: Photos the finding is about ("i:<pk>" inspections, "r:<pk>" renovation), shown side by
    #: side on the finding's page.
    photos: list[str] = field(default_factory=list)
    #: The code of the rule that found it: filled by `@rule`, never by the rule itself.
    rule: str = ""

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


def rule(
    code: str,
    *,
    label: str,
    title: str,
    problem_type: str = ProblemType.WORK,
    order: Callable[[Finding], object] | None = None,
):
    """Register a rule; `title` becomes 具体问题 of the ledger item it is converted into.

    The decorated function `(prefix, today)` returns (or yields) its findings without a rule
    code; the registered check, which the decorator returns in its place, gives them `code`
    and returns them as a list, sorted by `order` when one is given."""

    def decorator(func: Callable[[str, dt.date], Iterable[Finding]]):
        if code in RULES:
            raise ValueError(f"self-check rule {code!r} registered twice")

        @functools.wraps(func)
        def check(prefix: str, today: dt.date) -> list[Finding]:
            findings = list(func(prefix, today))
            for found in findings:
                found.rule = code
            return sorted(findings, key=order) if order else findings

        RULES[code] = Rule(
            code=code, label=label, problem_type=problem_type, title=title, check=check
        )
        RULE_LABELS[code] = label
        return check

    return decorator


def who(household) -> str:
    """The household as every finding names it: township, village and head of household."""
    return f"{household.village.parent.name}{household.village.name} {household.head_name}"


def household_finding(household, message: str, data, *, subject: str = "") -> Finding:
    """A finding about one household: "<who>：<message>", fingerprinted from `data` (what the
    finding is about: when it changes, a dismissed finding comes back)."""
    return Finding(
        household_ids=[household.pk],
        area_code=household.village_id,
        subject=subject,
        message=f"{who(household)}：{message}",
        fingerprint=fingerprint(*data),
    )


def fingerprint(*parts) -> str:
    data = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"
