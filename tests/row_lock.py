"""A row held by another user's transaction, on a second PostgreSQL connection.

For the tests of `core.locking`: a service that meets a row held like this must answer
`ConflictError` at once (NOWAIT), never wait. Such tests need
`pytest.mark.django_db(transaction=True)`: the second connection sees only committed rows.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from django.db import connections, transaction

#: A service that waited for the row would take at least this long (the holder's wait).
HOLD_SECONDS = 5


@contextmanager
def row_held(model, pk):
    """Inside the block, the row `pk` of `model` is locked FOR UPDATE by another connection."""
    locked, release = threading.Event(), threading.Event()
    failure = []

    def hold():
        try:
            with transaction.atomic():
                model._base_manager.select_for_update().get(pk=pk)
                locked.set()
                release.wait(HOLD_SECONDS)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            failure.append(exc)
            locked.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10), "the second connection did not lock the row"
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        holder.join(10)


@contextmanager
def answers_at_once():
    """The block ran in less than the holder's wait: it did not queue behind the lock."""
    started = time.monotonic()
    yield
    assert time.monotonic() - started < HOLD_SECONDS / 2
