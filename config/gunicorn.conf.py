"""gunicorn settings of the production image: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

The access log goes to stdout with ID and bank-card numbers masked (core.gunicorn_logging);
a proxy in front keeps its own log: see docs/OPERATIONS.md (nginx `log_format`).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# Heartbeat files on tmpfs: a slow disk must not make the arbiter kill healthy workers.
SHM = "/dev/shm"  # noqa: S108 - gunicorn's own advice for its worker heartbeat files
worker_tmp_dir = SHM if os.path.isdir(SHM) else None
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
logger_class = "core.gunicorn_logging.RedactingLogger"
