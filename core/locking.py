"""Row locks for services: one behaviour on a row another transaction holds.

A state change locks its row with `lock_for_update` inside `transaction.atomic()`. The lock is
taken with NOWAIT: when another request is changing the same row at this moment, this one is
refused at once with a `ConflictError` (409 in the API, a "try again" message on the page)
instead of waiting behind it and then acting on a state the user never saw. An optimistic
`version` (from the form or the API body) turns a change made meanwhile into the same conflict.
"""

from __future__ import annotations

from django.db import OperationalError
from django.db.models import Model, QuerySet

from core.errors import ConflictError, DomainError

CONFLICT_MESSAGE = "该记录正由他人处理，请稍后重试。"
CHANGED_MESSAGE = "该记录已被他人修改，请刷新页面后重试。"
NOT_FOUND_MESSAGE = "该记录不在您的管辖区划内。"


def lock_for_update(
    queryset: QuerySet,
    pk,
    *,
    version: int | None = None,
    related: tuple[str, ...] = (),
    missing: str = NOT_FOUND_MESSAGE,
    busy: str = CONFLICT_MESSAGE,
    changed: str = CHANGED_MESSAGE,
) -> Model:
    """The row `pk` of `queryset` (already scoped to the user), locked for this transaction.

    Only the model's own row is locked (`of=("self",)`), so `related` rows joined for reading
    are not held. A row outside the queryset raises `DomainError(missing)`.
    """
    try:
        locked = (
            queryset.select_for_update(nowait=True, of=("self",))
            .select_related(*related)
            .filter(pk=pk)
            .first()
        )
    except OperationalError as exc:  # lock_not_available: another transaction holds it
        raise ConflictError(busy) from exc
    if locked is None:
        raise DomainError(missing)
    if version is not None and getattr(locked, "version", version) != version:
        raise ConflictError(changed)
    return locked


def lock_all_for_update(queryset: QuerySet, *, busy: str = CONFLICT_MESSAGE) -> list[Model]:
    """Every row of `queryset` (already scoped and filtered), locked with NOWAIT like
    `lock_for_update`: one row held by another transaction refuses them all at once."""
    try:
        return list(queryset.select_for_update(nowait=True, of=("self",)))
    except OperationalError as exc:  # lock_not_available: another transaction holds one
        raise ConflictError(busy) from exc


def save_versioned(obj: Model, **fields) -> Model:
    """Set `fields`, bump the row's `version` in SQL and reload it (triggers may set columns)."""
    from django.db.models import F

    for name, value in fields.items():
        setattr(obj, name, value)
    obj.version = F("version") + 1
    obj.save()
    obj.refresh_from_db()
    return obj
