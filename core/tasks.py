from celery import shared_task
from django.db import OperationalError

from core.services import export_run, exports_purge_expired


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def run_export(self, job_id: str) -> None:
    export_run(job_id)


@shared_task
def purge_expired_exports() -> int:
    return exports_purge_expired()
