from celery import shared_task
from django.db import OperationalError

from core.audit import acting_as
from rectification import selfcheck


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_selfcheck_nightly() -> str:
    """Nightly self-check over every county; safe to run twice (the run is idempotent)."""

    with acting_as(None, command="run_selfcheck_nightly"):
        return selfcheck.run().summary
