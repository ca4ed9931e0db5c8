"""Audit history for every domain record, through django-pghistory's database triggers.

Triggers see bulk updates and raw SQL too; the acting user comes from the request
(core.middleware.AuditContextMiddleware) or from `acting_as()` in commands and tasks.
Event tables are append-only (PGHISTORY_APPEND_ONLY): UPDATE and DELETE on them fail.
"""

from __future__ import annotations

import contextlib

import pghistory


def tracked(**kwargs):
    """Class decorator: record inserts, updates (old → new) and deletes of a model."""
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **kwargs
    )


@contextlib.contextmanager
def acting_as(user=None, **extra):
    """Attribute database changes in this block to `user` (commands, tasks, imports)."""
    with pghistory.context(user=getattr(user, "pk", user), **extra):
        yield
