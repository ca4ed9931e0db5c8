"""Sections of the household page that the apps built on the registry add to it.

The household page is where a township or village user starts the work of one household:
its safety state and the inspection entries (inspections), its renovation projects and
"申请改造" (renovation). `households` imports none of those apps (tests/households/
test_layering.py), so each registers a panel in its `AppConfig.ready`; the page renders
them in order. A panel's `context(household, user)` reads through the user's scope and
answers None to stay hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    name: str
    template_name: str
    context: Callable[..., dict | None]
    order: int = 100


_panels: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _panels[panel.name] = panel


def render_context(household, user) -> list[dict]:
    """[{"template": ..., **context}] of the panels that show for `user`."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.name)):
        context = panel.context(household, user)
        if context is not None:
            shown.append({"template": panel.template_name, "name": panel.name, **context})
    return shown
