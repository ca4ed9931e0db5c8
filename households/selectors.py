"""Reads shared by pages, the API and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pghistory.models import Events

from accounts.models import User
from households import providers
from households.models import Household, Member

# Derived or secret columns that the history never shows (their masked twins are shown).
HIDDEN_HISTORY_FIELDS = {
    "id",
    "id_number",
    "id_number_hash",
    "bank_account",
    "bank_account_hash",
    "version",
    "updated_at",
    "created_at",
    "county_code",
    "township_code",
    "household",
    "household_id",
}


def household_list(user):
    return Household.objects.visible_to(user).select_related("village", "village__parent")


def with_safety(households: list[Household], user) -> list[Household]:
    """One page's households, each given `safety_label` and `next_action` (the first entry the
    user may make, or None) from its current safety level (`Household.safety_level`, kept by
    the safety states' trigger): no query per row."""
    appraisals = providers.appraisals()
    for household in households:
        level = household.safety_level
        household.safety_label = appraisals.level_label(level) if level else "未鉴定"
        actions = appraisals.actions(household, user, level)
        household.next_action = next((a for a in actions if a.primary), None)
    return households


@dataclass
class HistoryEntry:
    at: datetime
    user: str
    action: str
    subject: str
    changes: list[tuple[str, object, object]]


_ACTIONS = {"insert": "新增", "update": "修改", "delete": "删除"}


def _field_label(model, name: str) -> str:
    base = name[:-3] if name.endswith("_id") else name
    try:
        return str(model._meta.get_field(base).verbose_name)
    except Exception:  # noqa: BLE001 - a field removed since the event was written
        return name


def household_history(household: Household) -> list[HistoryEntry]:
    """Every change of the household and its members, newest first, with the editor."""

    events = list(
        Events.objects.across("households.HouseholdEvent", "households.MemberEvent")
        .references(household)
        .order_by("-pgh_created_at", "-pgh_id")
    )
    user_ids = {
        e.pgh_context.get("user") for e in events if e.pgh_context and e.pgh_context.get("user")
    }
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=user_ids)}
    entries = []
    for event in events:
        model = Member if event.pgh_model.endswith("MemberEvent") else Household
        context = event.pgh_context or {}
        user = names.get(context.get("user"), context.get("command") or "系统")
        changes = []
        if event.pgh_label == "update" and event.pgh_diff:
            for field, (old, new) in sorted(event.pgh_diff.items()):
                if field in HIDDEN_HISTORY_FIELDS:
                    continue
                changes.append((_field_label(model, field), old, new))
            if not changes:
                continue
        data = event.pgh_data or {}
        subject = (
            f"家庭成员 {data.get('name', '')}"
            if model is Member
            else f"农户 {data.get('head_name', '')}"
        )
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                user=user,
                action=_ACTIONS.get(event.pgh_label, event.pgh_label),
                subject=subject,
                changes=changes,
            )
        )
    return entries
