from celery import shared_task
from django.db import OperationalError, transaction

from households import tally


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def compact_tally() -> str:
    """Hourly: one row per group in the households' counts (they only ever add rows)."""
    with transaction.atomic():
        before, after = tally.compact()
    return f"{before} rows → {after}"
