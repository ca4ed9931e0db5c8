"""The appraisal reads and the department-list hook the household registry needs
(`households.providers`), and the household page's safety panel (`households.panels`):
provided here so that `households` never imports this app."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from core.rules import has_role
from households import panels
from households.providers import Appraisals, provide
from inspections import services
from inspections.models import LEDGER_LEVELS, StateLevel
from inspections.selectors import current_state
from inspections.services import department_list_create


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    url: str
    primary: bool = False


def household_actions(household, user, state=None, *, level: str | None = None) -> list[Action]:
    """The inspection entries `user` may make for `household`, from the services' roles
    (the same sets the services refuse with): the buttons of the household pages. `level`
    stands in for `state` where a list read only the current level."""
    if user.is_read_only:
        return []
    pk = household.pk
    actions = []
    if has_role(user, services.INSPECTION_ROLES):
        url = reverse("inspections:inspection_create", args=[pk])
        actions.append(Action("inspection", "录入排查", url, primary=True))
    if has_role(user, services.HAZARD_REPORT_ROLES):
        actions.append(
            Action("hazard", "上报隐患", reverse("inspections:hazard_create", args=[pk]))
        )
    if has_role(user, services.APPRAISAL_ROLES):
        url = reverse("inspections:appraisal_create", args=[pk])
        actions.append(Action("appraisal", "录入鉴定", url))
    if state is not None:
        level = state.level
    if level == StateLevel.D and has_role(user, services.EMERGENCY_ROLES):
        url = reverse("inspections:emergency_create", args=[pk])
        actions.append(Action("emergency", "登记应急措施", url))
    return actions


provide(
    Appraisals(
        ledger_levels=frozenset(str(level) for level in LEDGER_LEVELS),
        level_label=lambda level: StateLevel(level).label,
        department_list_created=department_list_create,
        actions=lambda household, user, level: household_actions(household, user, level=level),
    )
)


def _safety_panel(household, user) -> dict:
    state = current_state(household)
    return {
        "state": state,
        "actions": household_actions(household, user, state),
        "record_url": reverse("inspections:household", args=[household.pk]),
    }


panels.register(
    panels.Panel("safety", "inspections/_household_panel.html", _safety_panel, order=10)
)
