from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from core.services import (
    BUSY,
    export_run,
    exports_purge_expired,
    exports_sweep_stalled,
)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def run_export(self, job_id: str) -> str:
    outcome = export_run(job_id=job_id)
    if outcome == BUSY and not self.request.is_eager:
        # Another delivery holds the job (or did, in a worker that was just killed): look
        # again once its heartbeat would have gone stale, and take it over then.
        wait = settings.ANJU_EXPORT_STALE_SECONDS + 1
        raise self.retry(countdown=wait, max_retries=settings.ANJU_EXPORT_MAX_ATTEMPTS)
    return outcome


@shared_task
def purge_expired_exports() -> int:
    return exports_purge_expired()


@shared_task
def sweep_stalled_exports() -> int:
    return exports_sweep_stalled()
