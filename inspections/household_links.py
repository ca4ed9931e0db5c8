"""The appraisal reads and the department-list hook the household registry needs
(`households.providers`): provided here so that `households` never imports this app."""

from __future__ import annotations

from households.providers import Appraisals, provide
from inspections.models import LEDGER_LEVELS, SafetyLevel
from inspections.selectors import _current_appraisal
from inspections.services import department_list_create

provide(
    Appraisals(
        current=_current_appraisal,
        ledger_levels=frozenset(str(level) for level in LEDGER_LEVELS),
        level_label=lambda level: SafetyLevel(level).label,
        department_list_created=department_list_create,
    )
)
