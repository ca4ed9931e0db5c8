"""Celery beat that sends its schedule from one process only, however many are started.

A province runs beat on two hosts so that losing one does not stop the nightly self-check
and the monthly drafts. Each beat process competes for one Redis key (SET NX with a time to
live) and renews it on every tick while it holds it; only the holder sends due tasks. When the
holder dies its key expires after ANJU_BEAT_LOCK_SECONDS and the other beat takes over. The
periodic tasks are idempotent (see their docstrings), so the rare double send at a handover
costs nothing; what the lock prevents is every beat sending every task, every time.

    celery -A config beat -S core.beat.LeaderScheduler
"""

from __future__ import annotations

import contextlib
import logging
import socket
import uuid

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

# Renew only if the key is still ours (another beat may have taken it after an expiry).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class LeaderScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self._token = f"{socket.gethostname()}:{uuid.uuid4().hex}"
        self._leading = False
        self._redis = redis.Redis.from_url(settings.ANJU_BEAT_LOCK_URL)
        super().__init__(*args, **kwargs)

    @property
    def lock_ttl_ms(self) -> int:
        return settings.ANJU_BEAT_LOCK_SECONDS * 1000

    def _lead(self) -> bool:
        key = settings.ANJU_BEAT_LOCK_KEY
        try:
            if self._leading and self._redis.eval(_RENEW, 1, key, self._token, self.lock_ttl_ms):
                return True
            took = bool(self._redis.set(key, self._token, nx=True, px=self.lock_ttl_ms))
        except redis.RedisError:
            logger.warning("beat: Redis unreachable, sending nothing until it is back")
            took = False
        if took != self._leading:
            logger.warning("beat %s: %s", self._token, "now sending" if took else "standing by")
        self._leading = took
        return took

    def tick(self, *args, **kwargs):
        # Never sleep past a third of the lock's life: the holder renews in time, the other
        # notices an expiry soon.
        wait = settings.ANJU_BEAT_LOCK_SECONDS / 3
        if not self._lead():
            return wait
        return min(super().tick(*args, **kwargs), wait)

    def close(self):
        if self._leading:
            # Hand over at once on a clean stop instead of after the time to live.
            script = "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end"
            with contextlib.suppress(redis.RedisError):
                self._redis.eval(script, 1, settings.ANJU_BEAT_LOCK_KEY, self._token)
        super().close()
