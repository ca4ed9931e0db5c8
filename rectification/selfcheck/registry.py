"""The rule registry: `Finding`, `Rule`, `@rule(...)` that fills `RULES` (and the labels of
`rectification.models.RULE_LABELS`), and the helpers every rule uses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from rectification.models import RULE_LABELS, ProblemType


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


def who(household) -> str:
    """The household as every finding names it: township, village and head of household."""
    return f"{household.village.parent.name}{household.village.name} {household.head_name}"


def household_finding(code: str, household, message: str, data, *, subject: str = "") -> Finding:
    """A finding about one household: "<who>：<message>", fingerprinted from `data` (what the
    finding is about: when it changes, a dismissed finding comes back)."""
    return Finding(
        rule=code,
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
