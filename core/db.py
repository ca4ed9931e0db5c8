"""Which database a read goes to: the primary, or the read replica (DATABASE_REPLICA_URL).

Nothing reads from the replica by default. The heavy reads that tolerate a replica's lag of
a second or two opt in explicitly with `reading_replica(user)`: background exports, the
monthly report's figures and the dashboard's aggregates. Everything else reads the primary,
and so does, inside such a block:
- anything inside a transaction on the primary (it may depend on rows not yet committed);
- a user who wrote something in the last ANJU_REPLICA_STICKY_SECONDS: what they just saved
  is what they look for next, and the replica may not have it yet.
Writes always go to the primary (the replica is a hot standby and refuses them anyway).
"""

from __future__ import annotations

import contextlib
import contextvars

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from core.audit import current_context

REPLICA = "replica"

_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("anju_replica", default=False)
_noted_context: contextvars.ContextVar[object] = contextvars.ContextVar(
    "anju_replica_noted", default=None
)

# Writes that do not make a user "sticky": bookkeeping of sign-in, sessions and of the
# background job itself (an export's own job row must not send its reads to the primary).
_BOOKKEEPING_APPS = frozenset({"sessions", "axes", "knox", "admin", "contenttypes"})
_BOOKKEEPING_MODELS = frozenset({"core.exportjob"})


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _sticky_key(user_id) -> str:
    return f"anju:db:wrote:{user_id}"


def note_write(user_id) -> None:
    """`user_id` just changed data: their reads stay on the primary for a while. Kept in the
    shared cache (Redis) so that every app server and worker host knows it."""
    if user_id is not None and replica_configured():
        cache.set(_sticky_key(user_id), 1, timeout=settings.ANJU_REPLICA_STICKY_SECONDS)


def wrote_recently(user) -> bool:
    user_id = getattr(user, "pk", user)
    return user_id is not None and cache.get(_sticky_key(user_id)) is not None


@contextlib.contextmanager
def reading_replica(user=None):
    """Reads in this block go to the replica when one is configured and `user` (the person
    the data is read for) has not written recently."""
    use = replica_configured() and not (user is not None and wrote_recently(user))
    token = _use_replica.set(use)
    try:
        yield use
    finally:
        _use_replica.reset(token)


def _acting_user_id():
    context = current_context()
    if context is None:
        return None, None
    return context.id, context.metadata.get("user")


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads on the replica only inside `reading_replica`."""

    def db_for_read(self, model, **hints):
        if _use_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        meta = model._meta
        if meta.app_label not in _BOOKKEEPING_APPS and meta.label_lower not in (
            _BOOKKEEPING_MODELS
        ):
            context_id, user_id = _acting_user_id()
            # Once per audit context (one request, one service call), not per statement.
            if user_id is not None and _noted_context.get() != (context_id, user_id):
                note_write(user_id)
                _noted_context.set((context_id, user_id))
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
