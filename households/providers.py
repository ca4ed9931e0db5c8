"""What the household registry needs from the apps built on it, provided by them at start-up.

`households` imports none of inspections, renovation, subsidies, rectification, reports or
demo (tests/households/test_layering.py): the monitoring import compares 是否危房户 with the
current safety level (`Household.safety_level`, kept by inspections' trigger) with the
ledger's levels and a department's list starts that department's appraisal clock, so the
inspections app hands those things over in its `AppConfig.ready` (`provide`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Appraisals:
    #: levels that put a house on the dangerous-house ledger (C, D, 无房)
    ledger_levels: frozenset[str]
    #: level value -> its Chinese label
    level_label: Callable[[str], str]
    #: (by, department, received_on, households, note): a department's list was imported
    department_list_created: Callable[..., object]
    #: (household, user, level) -> the entries `user` may make for the household (each with
    #: `name`, `label`, `url`, `primary`), from the roles alone: no query
    actions: Callable[..., list]


_provided: list[Appraisals] = []


def provide(appraisals: Appraisals) -> None:
    _provided[:] = [appraisals]


def appraisals() -> Appraisals:
    if not _provided:
        raise ImproperlyConfigured("the inspections app provides households.providers.Appraisals")
    return _provided[0]
