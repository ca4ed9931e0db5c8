"""Starting and running background exports."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.celery import app as celery_app
from core import crypto, exports
from core.db import reading_replica
from core.errors import DomainError, RoleRefused
from core.models import ExportJob

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
STARTED_AS = "_started_as"


def export_start(*, kind: str, params: dict, by: User) -> ExportJob:
    exporter = exports.get(kind)
    if exporter is None:
        raise DomainError("未知的导出类型。")
    if not exporter.allowed(by):
        raise RoleRefused("您的角色无权执行此导出。")
    cleaned = exporter.clean_params(by, params)

    with transaction.atomic():
        # The area and role the export was asked under: a user moved or re-roled since is
        # refused when the job runs, not served rows of the area they no longer hold.
        started_as = {STARTED_AS: [by.area_id, str(by.role)]}
        job = ExportJob.objects.create(kind=kind, params=cleaned | started_as, created_by=by)
        # Enqueued only if the job row is committed: a rolled-back request enqueues nothing.
        transaction.on_commit(lambda: _enqueue_export(str(job.pk)))
    return job


def _run_export_task():
    # Looked up by name in the Celery app (core.tasks imports this module, not the reverse).
    return celery_app.tasks["core.tasks.run_export"]


def _enqueue_export(job_id: str) -> None:
    run_export = _run_export_task()
    if getattr(settings, "ANJU_TASKS_IN_THREAD", False):
        # Development without a broker: an eager task would run inside the POST (the browser
        # hangs, then shows 100 %). A thread lets the page poll a moving bar as in production.
        threading.Thread(target=_run_export_in_thread, args=(job_id,), daemon=True).start()
    else:
        run_export.delay(job_id)


def _run_export_in_thread(job_id: str) -> None:
    try:
        _run_export_task().apply(args=[job_id])
    finally:
        connection.close()


# What `export_run` did with a delivery (the task retries a BUSY one later).
DONE, BUSY, SKIPPED = "done", "busy", "skipped"
INTERRUPTED = "导出在后台中断（处理进程退出）多次，请重新导出。"


def heartbeat_seconds() -> int:
    return settings.ANJU_EXPORT_HEARTBEAT_SECONDS


def stale_before():
    """A running job whose last heartbeat is older than this belongs to a dead worker."""
    return timezone.now() - timedelta(seconds=settings.ANJU_EXPORT_STALE_SECONDS)


def _stalled():
    return Q(status=ExportJob.Status.RUNNING) & (
        Q(heartbeat_at__lt=stale_before())
        | Q(heartbeat_at__isnull=True, started_at__lt=stale_before())
    )


@contextlib.contextmanager
def _beating(job_id):
    """Beat the job's heartbeat from a thread while the file is built: a long step that
    reports no progress (one big PDF) still shows a live job; a killed process stops beating."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(heartbeat_seconds()):
                ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"export-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=heartbeat_seconds() + 5)


def _fail(job_id, message: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.FAILED, message=message[:300], finished_at=timezone.now()
    )


def export_run(*, job_id: str) -> str:
    """Run a queued job once. A second delivery of a job that is running finds it claimed and
    answers BUSY (its task retries later); once the running job's heartbeat has stopped (its
    worker died), a delivery takes it over. After `ANJU_EXPORT_MAX_ATTEMPTS` claims it fails."""
    now = timezone.now()
    claimable = Q(status=ExportJob.Status.QUEUED) | _stalled()
    max_attempts = settings.ANJU_EXPORT_MAX_ATTEMPTS
    exhausted = ExportJob.objects.filter(claimable, pk=job_id, attempts__gte=max_attempts)
    if exhausted.update(
        status=ExportJob.Status.FAILED, message=INTERRUPTED, finished_at=timezone.now()
    ):
        return SKIPPED
    claimed = ExportJob.objects.filter(claimable, pk=job_id).update(
        status=ExportJob.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        progress=1,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        running = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).exists()
        return BUSY if running else SKIPPED
    job = ExportJob.objects.select_related("created_by", "created_by__area").get(pk=job_id)
    exporter = exports.get(job.kind)

    def progress(percent: int, message: str = "") -> None:
        ExportJob.objects.filter(pk=job.pk).update(
            progress=max(1, min(99, percent)), message=message[:300], heartbeat_at=timezone.now()
        )

    user = job.created_by
    params = dict(job.params)
    started_as = params.pop(STARTED_AS, None)
    try:
        if exporter is None or not exporter.allowed(user) or not user.is_active:
            raise DomainError("您的账号或角色已无权执行此导出。")
        if started_as is not None and started_as != [user.area_id, str(user.role)]:
            raise DomainError("您的账号所属区域或角色已变更，请重新发起导出。")
        # Rows from the read replica when there is one (unless the user has just written).
        with _beating(job.pk), reading_replica(user):
            result = exporter.run(user, params, progress)
    except DomainError as exc:
        _fail(job.pk, str(exc))
        return DONE
    except Exception:
        logger.exception("export %s (%s) failed", job.pk, job.kind)
        _fail(job.pk, "导出失败，请稍后重试或联系管理员。")
        return DONE
    # Encrypted at rest: a media backup or a stolen disk holds no ID or card number.
    job.file.save(result.filename, ContentFile(crypto.encrypt_bytes(result.content)), save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        file=job.file.name,
        filename=result.filename,
        content_type=result.content_type,
        encrypted=True,
        status=ExportJob.Status.DONE,
        progress=100,
        message="已完成",
        finished_at=timezone.now(),
        expires_at=ExportJob.default_expiry(),
    )
    return DONE


def exports_sweep_stalled() -> int:
    """Periodic: jobs whose heartbeat stopped go back to the queue (a new delivery takes them
    over), or fail with a clear message once they have used their attempts. The user sees
    "failed, try again" instead of a bar frozen for ever."""
    count = 0
    max_attempts = settings.ANJU_EXPORT_MAX_ATTEMPTS
    for job_id, attempts in ExportJob.objects.filter(_stalled()).values_list("pk", "attempts"):
        if attempts >= max_attempts:
            ExportJob.objects.filter(_stalled(), pk=job_id).update(
                status=ExportJob.Status.FAILED, message=INTERRUPTED, finished_at=timezone.now()
            )
        else:
            logger.warning("export %s stopped beating: sent to the queue again", job_id)
            _enqueue_export(str(job_id))
        count += 1
    return count


def exports_purge_expired() -> int:
    """Delete expired export files and their jobs (hourly, and on a download of one)."""
    count = 0
    for job in ExportJob.objects.filter(expires_at__lte=timezone.now()):
        export_delete(job=job)
        count += 1
    return count


def export_delete(*, job: ExportJob) -> None:
    """The file leaves the storage, not only the list."""
    if job.file:
        job.file.delete(save=False)
    job.delete()


def export_open(*, job: ExportJob):
    """The finished file's content for a download: decrypted in memory when stored encrypted."""
    if not job.encrypted:
        return job.file.open("rb")
    with job.file.open("rb") as handle:
        return io.BytesIO(crypto.decrypt_bytes(handle.read()))
