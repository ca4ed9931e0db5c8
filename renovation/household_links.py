"""The household page's renovation panel (`households.panels`): the household's projects,
each with the next steps the step table opens to the user, and "申请改造" when
`services.application_refusal` has nothing against it. Registered at start-up so that
`households` never imports this app; the appraisal page of `inspections` shows it too."""

from __future__ import annotations

from django.urls import reverse

from core.errors import RoleRefused
from households import panels
from renovation import selectors
from renovation.services import application_refusal
from renovation.steps import allowed_actions

#: Steps of the table that are no field work to offer on a household's page.
_NOT_OFFERED = frozenset({"area_exception", "override_amount", "override_decide", "end"})


def renovation_panel(household, user) -> dict:
    projects = list(
        selectors.project_list(user).filter(household=household).order_by("-year", "-id")
    )
    rows = []
    for project in projects:
        steps = [s for s in allowed_actions(project, user) if s.name not in _NOT_OFFERED]
        rows.append(
            {
                "project": project,
                "next": [
                    (s.title, reverse("renovation:step", args=[project.pk, s.name])) for s in steps
                ],
            }
        )
    refused = application_refusal(household, user)
    # Shown to the roles that apply, so "why can I not apply" has an answer on the page.
    reason = "" if refused is None or isinstance(refused, RoleRefused) else str(refused)
    return {
        "rows": rows,
        "apply_url": reverse("renovation:apply", args=[household.pk]) if refused is None else "",
        "apply_refusal": reason,
    }


panels.register(
    panels.Panel("renovation", "renovation/_household_panel.html", renovation_panel, order=20)
)
