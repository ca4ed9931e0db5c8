import os
from pathlib import Path

from config.settings_test import *  # noqa: F403

# The test's own media folder, so that it can read what the worker wrote.
MEDIA_ROOT = Path(os.environ["MEDIA_ROOT"])
INSTALLED_APPS = [*INSTALLED_APPS, "tests.worker_app.apps.WorkerAppConfig"]  # noqa: F405
# A real worker: a retry goes back through the broker (eager, it would run inline at once).
CELERY_TASK_ALWAYS_EAGER = False
