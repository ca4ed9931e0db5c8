"""The appraisal reads and the department-list hook the household registry needs
(`households.providers`): provided here so that `households` never imports this app."""

from __future__ import annotations

from households.providers import Appraisals, provide
from inspections.models import LEDGER_LEVELS, StateLevel
from inspections.selectors import _current_state
from inspections.services import department_list_create

provide(
    Appraisals(
        current=_current_state,
        ledger_levels=frozenset(str(level) for level in LEDGER_LEVELS),
        level_label=lambda level: StateLevel(level).label,
        department_list_created=department_list_create,
    )
)
