"""Every write to households and members goes through these functions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from accounts.models import Role, User
from core import crypto
from core.audit import attributed
from core.errors import ConflictError, DomainError, RoleRefused
from core.locking import lock_for_update, save_versioned
from core.rules import has_role, require_role
from core.uploads import DOCUMENT_TYPES, files_removed_on_error, store_upload, validate_upload
from households.models import (
    CATEGORY_SHORT,
    MONEY_FIELD_LABELS,
    MONEY_FIELDS,
    ChangeStatus,
    Household,
    HouseholdChange,
    HouseholdExit,
    Member,
    SensitiveAccessLog,
)
from households.validation import validate_household

# Fields a household form or API may set; everything else (version, hashes, county) is derived.
EDITABLE_FIELDS = (
    "village",
    "head_name",
    "id_number",
    "phone",
    "address",
    "family_size",
    "category",
    "identified_by",
    "identified_on",
    "is_disabled",
    "is_military_family",
    "is_veteran",
    "is_heroic",
    "split_on",
    "bank_account",
    "bank_name",
    "note",
)

DUPLICATE_ID_MESSAGE = "本县已有身份证号相同的农户，请勿重复录入。"


def _check_unique_id(household: Household) -> None:
    household.sync_sensitive()
    clash = (
        Household.objects.unscoped("ID numbers are unique county-wide")
        .filter(county_code=household.village_id[:6], id_number_hash=household.id_number_hash)
        .exclude(pk=household.pk)
    )
    if clash.exists():
        raise DomainError(DUPLICATE_ID_MESSAGE)


@attributed
def household_create(*, by: User, members: Iterable[dict] = (), **fields) -> Household:
    members = list(members)
    validate_household({k: v for k, v in fields.items() if k in EDITABLE_FIELDS}, members=members)
    household = Household(
        created_by=by, **{k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    )
    with transaction.atomic():
        _check_unique_id(household)
        try:
            household.save()
        except IntegrityError as exc:  # a concurrent insert of the same ID
            raise DomainError(DUPLICATE_ID_MESSAGE) from exc
        for member in members:
            Member.objects.create(household=household, **member)
    return household


#: Who changes money-deciding fields at once; anyone else files a `HouseholdChange`.
CHANGE_CONFIRM_ROLES = frozenset({Role.COUNTY_REVIEWER})
PENDING_MESSAGE = (
    "重点对象类型、家庭人口、家庭成员和一卡通账号的变更已提交，待县住建局审核员确认后生效。"
)


def confirms_directly(by: User) -> bool:
    """County reviewers change money-deciding fields at once; others ask for a change."""
    return has_role(by, CHANGE_CONFIRM_ROLES)


def _member_dicts(members: Iterable) -> list[dict]:
    return [
        {
            "name": (m.get("name") or "").strip(),
            "relation": m.get("relation") or "",
            "id_number": crypto.normalize_number(m.get("id_number") or ""),
        }
        for m in members
    ]


def _current_members(household: Household) -> list[dict]:
    return _member_dicts(
        {"name": m.name, "relation": m.relation, "id_number": m.id_number}
        for m in household.members.all().order_by("id")
    )


def _shown(name: str, value) -> str:
    if name == "bank_account":
        return crypto.mask_account(value) if value else "（空）"
    if name == "category":
        return CATEGORY_SHORT.get(value, value) or "（空）"
    if name == "members":
        return "、".join(m["name"] for m in value) or "（无）"
    return str(value) if value not in (None, "") else "（空）"


def _summary(old: dict, new: dict) -> str:
    parts = [f"{MONEY_FIELD_LABELS[k]}：{_shown(k, old.get(k))} → {_shown(k, new[k])}" for k in new]
    return "；".join(parts)[:600]


@attributed
def household_update(
    *,
    household: Household,
    by: User,
    version: int | None = None,
    members: list[dict] | None = None,
    evidence=None,
    source: str = "页面修改",
    **fields,
) -> Household:
    """Apply `fields` (and replace the members with `members`, when given); refuse if someone
    saved the household since `version` was read.

    A change of what decides money (`MONEY_FIELDS`, the members) by anyone but a county
    reviewer is not applied: it becomes a pending `HouseholdChange`, returned as
    `household.pending_change`; the rest of the change is applied at once."""
    info = None
    if evidence:
        info = validate_upload(evidence, allowed=DOCUMENT_TYPES, label="证明材料")
    with transaction.atomic(), files_removed_on_error() as stored:
        locked = lock_for_update(
            Household.objects.unscoped("re-lock of a held household"),
            household.pk,
            version=version,
            changed="该农户信息已被他人修改，请刷新页面后重新编辑。",
        )
        changes = {}
        for name, value in fields.items():
            if name not in EDITABLE_FIELDS:
                continue
            if name in {"id_number", "bank_account"} and not value:
                continue  # sensitive numbers are never pre-filled: blank means "keep"
            if name == "bank_account":
                value = crypto.normalize_number(value)
            if getattr(locked, name) != value:
                changes[name] = value
        new_members = None
        if members is not None:
            new_members = _member_dicts(members)
            if new_members == _current_members(locked):
                new_members = None
        # The rules of what changes (a record from before a rule keeps its old values).
        validate_household(
            changes,
            members=(
                new_members
                if new_members is not None
                else list(locked.members.values("name"))
                if "family_size" in changes
                else None
            ),
            family_size=locked.family_size,
        )
        requested = {k: changes.pop(k) for k in MONEY_FIELDS if k in changes}
        if new_members is not None:
            requested["members"] = new_members
        pending = None
        if requested and not confirms_directly(by):
            pending = _request_change(
                locked,
                requested,
                by=by,
                source=source,
                evidence=evidence,
                info=info,
                stored=stored,
            )
        else:
            new_members = requested.pop("members", None)
            changes.update(requested)
        _apply(locked, changes, new_members if pending is None else None)
    locked.pending_change = pending
    return locked


def _apply(locked: Household, changes: dict, members: list[dict] | None) -> None:
    for name, value in changes.items():
        setattr(locked, name, value)
    if changes:
        _check_unique_id(locked)
        locked.version = F("version") + 1
        try:
            locked.save()
        except IntegrityError as exc:
            raise DomainError(DUPLICATE_ID_MESSAGE) from exc
        locked.refresh_from_db()
    if members is not None:
        locked.members.all().delete()
        for member in members:
            Member.objects.create(household=locked, **member)
        if not changes:
            save_versioned(locked)


def _request_change(locked, requested: dict, *, by: User, source, evidence, info, stored):
    old = {
        k: (_current_members(locked) if k == "members" else getattr(locked, k)) for k in requested
    }
    change = HouseholdChange(
        household=locked,
        old_values=json.dumps(old, ensure_ascii=False),
        new_values=json.dumps(requested, ensure_ascii=False),
        summary=_summary(old, requested),
        source=(source or "")[:100],
        requested_by=by,
    )
    if evidence:
        store_upload(change, "evidence", evidence, info, stored)
        change.evidence_content_type = info.content_type
    change.save()
    return change


def split_import_changes(changes: dict) -> dict:
    """For an import: take the money-deciding fields out of `changes`; returns them. A list
    never overwrites them, whoever imports it: they become requests through
    `import_change_requests`, confirmed by a county reviewer other than the importer."""
    return {k: changes.pop(k) for k in MONEY_FIELDS + ("members",) if k in changes}


def import_change_requests(*, requests: list[tuple[int, dict]], by: User, source: str) -> int:
    """Pending `HouseholdChange`s for what an import would change in money-deciding fields
    (`requests`: household id → new values), inside the import's transaction."""
    if not requests:
        return 0
    # A thousand at a time: an update of 10,000 households held every household and every
    # change as an instance at once (about 20 MB of the import's confirm).
    for start in range(0, len(requests), CHANGE_CHUNK):
        _change_requests(requests[start : start + CHANGE_CHUNK], by=by, source=source)
    return len(requests)


#: Households whose change requests `import_change_requests` builds and writes at a time.
CHANGE_CHUNK = 1000


def _change_requests(requests: list[tuple[int, dict]], *, by: User, source: str) -> None:
    households = Household.objects.unscoped("households the import matched").in_bulk(
        [pk for pk, _values in requests]
    )
    members: dict[int, list[dict]] = {}
    if any("members" in values for _pk, values in requests):
        for m in (
            Member.objects.unscoped("members of the matched households")
            .filter(household_id__in=[pk for pk, v in requests if "members" in v])
            .order_by("id")
        ):
            members.setdefault(m.household_id, []).append(
                {"name": m.name, "relation": m.relation, "id_number": m.id_number}
            )
    changes = []
    for pk, new in requests:
        household = households[pk]
        if "members" in new:
            new = {**new, "members": _member_dicts(new["members"])}
        old = {
            k: (_member_dicts(members.get(pk, [])) if k == "members" else getattr(household, k))
            for k in new
        }
        changes.append(
            HouseholdChange(
                household_id=pk,
                old_values=json.dumps(old, ensure_ascii=False, default=str),
                new_values=json.dumps(new, ensure_ascii=False, default=str),
                summary=_summary(old, new),
                source=source[:100],
                requested_by=by,
            )
        )
    HouseholdChange.objects.bulk_create(changes, batch_size=1000)


def households_exit(*, exits: list[tuple[int, dt.date]], by: User, source: str, reason: str) -> int:
    """Households leave a department's list (inside an import's transaction): an exit record
    each, and `exited_on` set; their history and any open project stay."""
    if not exits:
        return 0
    HouseholdExit.objects.bulk_create(
        [
            HouseholdExit(
                household_id=pk,
                exited_on=on,
                source=source[:60],
                reason=reason[:200],
                created_by=by,
            )
            for pk, on in exits
        ],
        batch_size=1000,
    )
    for pk, on in exits:
        Household.objects.unscoped("households the import matched").filter(
            pk=pk, exited_on__isnull=True
        ).update(exited_on=on, version=F("version") + 1)
    return len(exits)


def change_values(change: HouseholdChange) -> tuple[dict, dict]:
    return json.loads(change.old_values or "{}"), json.loads(change.new_values or "{}")


def _lock_change(change: HouseholdChange, by: User) -> HouseholdChange:
    return lock_for_update(
        HouseholdChange.objects.visible_to(by),
        change.pk,
        missing="该变更申请不在您的管辖区划内。",
        busy="其他用户正在处理该变更申请，请稍后再试。",
    )


@attributed
def household_change_decide(
    *, change: HouseholdChange, by: User, confirm: bool, note: str = ""
) -> HouseholdChange:
    """A county reviewer other than the requester confirms (the values count from now) or
    rejects (the household keeps its values) a pending change."""
    require_role(by, CHANGE_CONFIRM_ROLES, "确认农户信息变更（仅限县住建局审核员）")
    note = (note or "").strip()
    if not confirm and not note:
        raise DomainError("驳回变更申请须填写理由。")
    with transaction.atomic():
        locked = _lock_change(change, by)
        if not locked.is_pending:
            raise ConflictError(f"该变更申请已{locked.get_status_display()}。")
        if locked.requested_by_id == by.pk:
            raise DomainError("申请人不能确认自己提交的变更，请由其他审核员确认。")
        household = lock_for_update(
            Household.objects.unscoped("parent of the held change"), locked.household_id
        )
        if confirm:
            old, new = change_values(locked)
            current = {
                k: (_current_members(household) if k == "members" else getattr(household, k))
                for k in new
            }
            if current != old:
                raise ConflictError("该户信息在申请后已被修改，请驳回本申请后重新提交。")
            members = new.pop("members", None)
            validate_household(
                new,
                members=members if members is not None else None,
                family_size=household.family_size,
            )
            _apply(household, new, members)
        locked.status = ChangeStatus.CONFIRMED if confirm else ChangeStatus.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note[:200]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return locked


# Removing a wrongly entered household: county reviewers and township staff.
DELETE_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})


@attributed
def household_delete(*, household: Household, by: User) -> None:
    """Delete a household entered by mistake; refused once other records refer to it."""
    require_role(by, DELETE_ROLES, "删除农户")
    try:
        with transaction.atomic():
            lock_for_update(Household.objects.unscoped("re-lock of a held household"), household.pk)
            household.members.all().delete()
            household.delete()
    except ProtectedError as exc:
        raise DomainError("该农户已有排查、鉴定、改造或补助等记录，不能删除。") from exc


@attributed
def reveal_number(*, household: Household, field: str, by: User, purpose: str = "页面查看") -> str:
    """The full number, for a role allowed to see it; the display itself is logged."""
    if not by.may_see_full_numbers:
        raise RoleRefused("您的角色无权查看完整号码。")
    SensitiveAccessLog.objects.create(user=by, household=household, field=field, purpose=purpose)
    return getattr(household, field)


def member_replace_all(*, household: Household, members: Iterable[dict]) -> None:
    """Replace the household's member list (used by forms and imports)."""
    members = list(members)
    validate_household({}, members=members, family_size=household.family_size)
    with transaction.atomic():
        household.members.all().delete()
        for member in members:
            Member.objects.create(household=household, **member)
