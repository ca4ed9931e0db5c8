from celery import shared_task
from django.db import OperationalError


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def run_export(self, job_id: str) -> None:
    from core.services import export_run

    export_run(job_id)


@shared_task
def purge_expired_exports() -> int:
    from core.services import exports_purge_expired

    return exports_purge_expired()
