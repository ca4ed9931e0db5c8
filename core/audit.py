"""Audit history for every domain record, through django-pghistory's database triggers.

Triggers see bulk updates and raw SQL too; the acting user comes from the request
(core.middleware.AuditContextMiddleware) or from `acting_as()` in commands and tasks.
Event tables are append-only (PGHISTORY_APPEND_ONLY): UPDATE and DELETE on them fail.
"""

from __future__ import annotations

import contextlib
import functools
import uuid

import pghistory
from pghistory.runtime import Context, _tracker


def tracked(**kwargs):
    """Class decorator: record inserts, updates (old → new) and deletes of a model."""
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **kwargs
    )


@contextlib.contextmanager
def acting_as(user=None, **extra):
    """Attribute database changes in this block to `user` (commands, tasks, imports).

    pghistory groups every change under the outermost context and lets a nested one overwrite
    that context's metadata, which the database then applies to the *earlier* events of the
    group too. So when a block acts for someone else (or with other metadata) inside an open
    context, it gets a context of its own for its duration, and the outer one is restored
    unchanged afterwards: each event keeps the user who made it.
    """
    metadata = {"user": getattr(user, "pk", user), **extra}
    outer = getattr(_tracker, "value", None)
    if outer is None:
        with pghistory.context(**metadata):
            yield
        return
    merged = {**outer.metadata, **metadata}
    if merged == outer.metadata:
        yield
        return
    # The execute wrapper installed by the outer context reads `_tracker.value` on every
    # statement, so swapping the value is enough to tag this block's statements.
    _tracker.value = Context(id=uuid.uuid4(), metadata=merged)
    try:
        yield
    finally:
        _tracker.value = outer


def attributed(service):
    """Decorator for a service function called with `by=<user>`: its database changes are
    attributed to that user in the audit history, also outside a request (commands, tasks,
    the shell). Inside a request for the same user it adds nothing."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        if "by" not in kwargs:  # `by` is keyword-only in services; nothing to attribute
            return service(*args, **kwargs)
        with acting_as(kwargs["by"]):
            return service(*args, **kwargs)

    return wrapper
