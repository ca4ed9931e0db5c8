"""Audit history for every domain record, through django-pghistory's database triggers.

Triggers see bulk updates and raw SQL too; the acting user comes from the request
(core.middleware.AuditContextMiddleware) or from `acting_as()` in commands and tasks.
Event tables are append-only (PGHISTORY_APPEND_ONLY): UPDATE and DELETE on them fail.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools

import pghistory
from pghistory.runtime import Context

# The audit context open in this thread or task, as `pghistory.context()` returned it (its
# metadata is the live dict pghistory sends with every statement); for `current_context()`.
_open: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "audit_context", default=None
)


def tracked(**kwargs):
    """Class decorator: record inserts, updates (old → new) and deletes of a model."""
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **kwargs
    )


def current_context() -> Context | None:
    """The audit context the database changes of this moment are recorded under, if any."""
    return _open.get()


@contextlib.contextmanager
def entered(**metadata):
    """Enter `pghistory.context(**metadata)` and make it `current_context()` for the block."""
    with pghistory.context(**metadata) as context:
        token = _open.set(context)
        try:
            yield context
        finally:
            _open.reset(token)


@contextlib.contextmanager
def acting_as(user=None, **extra):
    """Attribute database changes in this block to `user` (commands, tasks, imports).

    Every event keeps its own copy of the metadata (`PGHISTORY_CONTEXT_FIELD` is
    `ContextJSONField`), so a block that acts for someone else inside an open context (a
    request, a command) sets that context's metadata for its own statements and puts the
    outer metadata back when it ends: each event names the user who made it, and the events
    of the whole request keep one `pgh_context_id`.
    """
    metadata = {"user": getattr(user, "pk", user), **extra}
    with entered() as context:
        outer = dict(context.metadata)
        pghistory.context(**metadata)  # not entered: adds metadata to the open context
        try:
            yield
        finally:
            # pghistory has no call that removes a key again; the context's metadata is the
            # dict it sends with each statement, so the outer metadata is put back in place.
            context.metadata.clear()
            context.metadata.update(outer)


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
