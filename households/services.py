"""Every write to households and members goes through these functions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError

from accounts.models import Role
from core.audit import attributed
from core.errors import ConflictError, DomainError, RoleRefused
from core.rules import require_role
from households.models import Household, Member, SensitiveAccessLog
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
def household_create(*, by, members: Iterable[dict] = (), **fields) -> Household:
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


@attributed
def household_update(
    *,
    household: Household,
    by,
    version: int | None = None,
    members_follow: bool = False,
    **fields,
) -> Household:
    """Apply `fields`; refuse if someone saved the household since `version` was read.

    `members_follow`: the caller saves the members next, in the same transaction, and their
    number is checked against the new family size then (`members_save`)."""
    with transaction.atomic():
        locked = (
            Household.objects.unscoped("re-lock of a held household")
            .select_for_update()
            .get(pk=household.pk)
        )
        if version is not None and locked.version != version:
            raise ConflictError("该农户信息已被他人修改，请刷新页面后重新编辑。")
        changes = {}
        for name, value in fields.items():
            if name not in EDITABLE_FIELDS:
                continue
            if name in {"id_number", "bank_account"} and not value:
                continue  # sensitive numbers are never pre-filled: blank means "keep"
            if getattr(locked, name) != value:
                changes[name] = value
        # The rules of what changes (a record from before a rule keeps its old values).
        validate_household(
            changes,
            members=(
                list(locked.members.values("name"))
                if "family_size" in changes and not members_follow
                else None
            ),
        )
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
    return locked


# Removing a wrongly entered household: county reviewers and township staff.
DELETE_ROLES = frozenset({Role.COUNTY_REVIEWER, Role.TOWNSHIP_STAFF})


@attributed
def household_delete(*, household: Household, by) -> None:
    """Delete a household entered by mistake; refused once other records refer to it."""
    require_role(by, DELETE_ROLES, "删除农户")
    try:
        with transaction.atomic():
            Household.objects.unscoped("re-lock of a held household").select_for_update().filter(
                pk=household.pk
            ).first()
            household.members.all().delete()
            household.delete()
    except ProtectedError as exc:
        raise DomainError("该农户已有排查、鉴定、改造或补助等记录，不能删除。") from exc


def members_save(*, household: Household, formset) -> None:
    """Save a validated member formset (blank ID numbers keep the number on file)."""
    formset.instance = household
    with transaction.atomic():
        formset.save()
        _check_member_count(household)


def _check_member_count(household: Household) -> None:
    family_size = Household.objects.unscoped("size of a held household").get(pk=household.pk)
    validate_household(
        {}, members=list(household.members.values("name")), family_size=family_size.family_size
    )


@attributed
def reveal_number(*, household: Household, field: str, by, purpose: str = "页面查看") -> str:
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
