"""Settings for the test suite: production-like (DEBUG off) with test-only secrets."""

import os

os.environ.setdefault("ANJU_TESTING", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")


def _redis_db_for_worker(url: str, worker: int) -> str:
    """The URL's Redis database moved up by two per pytest-xdist worker: each worker has a
    broker database and a cache database of its own (16 databases cover eight workers)."""
    head, _, db = url.rpartition("/")
    if not head.startswith("redis") or not db.isdigit():
        return url
    return f"{head}/{int(db) + 2 * worker}"


# Under pytest-xdist (`make test` runs one worker per core) every worker gets its own test
# database from pytest-django (suffix _gw0, _gw1, …) and here its own Redis databases: the
# cache (rate limits, read-your-writes pins), the Celery broker of the worker test and the
# beat lock must not be shared with a test running beside it. Set in the environment, so
# the servers and Celery workers a test starts inherit them.
# A Celery worker or beat a test starts inherits both the worker's name and the moved URLs,
# and reads these settings again: the marker keeps it from moving them a second time.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw") and os.environ.get("ANJU_REDIS_MOVED_FOR") != _XDIST_WORKER:
    os.environ["ANJU_REDIS_MOVED_FOR"] = _XDIST_WORKER
    for _name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "ANJU_BEAT_LOCK_URL"):
        if os.environ.get(_name):
            os.environ[_name] = _redis_db_for_worker(os.environ[_name], int(_XDIST_WORKER[2:]))

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
AXES_ENABLED = True
MEDIA_ROOT = DATA_DIR / "test-media"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Parallel test runs on one server (e.g. two checkouts) can pick their own database name.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ANJU_TEST_DB_NAME", "test_anju")}  # noqa: F405
# Tests run tasks in-process even when CI exports a broker; the Celery integration test
# switches the app to the real broker itself.
CELERY_TASK_ALWAYS_EAGER = True
# The broker the Celery worker tests start real workers on: CI's, or a database of a local
# Redis that nothing else uses (moved per xdist worker like the others).
ANJU_TEST_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or _redis_db_for_worker(
    "redis://127.0.0.1:6379/8", int(_XDIST_WORKER[2:] or 0) if _XDIST_WORKER else 0
)
