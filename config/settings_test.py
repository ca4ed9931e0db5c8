"""Settings for the test suite: production-like (DEBUG off) with test-only secrets."""

import os

os.environ.setdefault("ANJU_TESTING", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")

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
