"""Settings of the beat processes in tests/hosts/test_celery_hosts.py: one entry every second,
sent to the test's own queue (no worker takes it: the test counts the messages)."""

import os

from config.settings_test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    "probe": {
        "task": "anju.tests.beat_probe",
        "schedule": 1.0,
        "options": {"queue": os.environ["ANJU_BEAT_TEST_QUEUE"]},
    }
}
