"""Starting and running background exports."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.celery import app as celery_app
from core import exports
from core.errors import DomainError, RoleRefused
from core.models import ExportJob

logger = logging.getLogger(__name__)
STARTED_AS = "_started_as"


def export_start(*, kind: str, params: dict, by) -> ExportJob:
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


def export_run(job_id: str) -> None:
    """Run a queued job once; a second delivery of the same task finds it claimed and stops."""
    # A worker killed half-way leaves the job "running"; once stale, a redelivery takes it over.
    stale = timezone.now() - timedelta(minutes=getattr(settings, "ANJU_EXPORT_STALE_MINUTES", 30))
    claimable = Q(status=ExportJob.Status.QUEUED) | Q(
        status=ExportJob.Status.RUNNING, started_at__lt=stale
    )
    claimed = ExportJob.objects.filter(claimable, pk=job_id).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), progress=1
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("created_by", "created_by__area").get(pk=job_id)
    exporter = exports.get(job.kind)

    def progress(percent: int, message: str = "") -> None:
        ExportJob.objects.filter(pk=job.pk).update(
            progress=max(1, min(99, percent)), message=message[:300]
        )

    user = job.created_by
    params = dict(job.params)
    started_as = params.pop(STARTED_AS, None)
    try:
        if exporter is None or not exporter.allowed(user) or not user.is_active:
            raise DomainError("您的账号或角色已无权执行此导出。")
        if started_as is not None and started_as != [user.area_id, str(user.role)]:
            raise DomainError("您的账号所属区域或角色已变更，请重新发起导出。")
        result = exporter.run(user, params, progress)
    except DomainError as exc:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        return
    except Exception:
        logger.exception("export %s (%s) failed", job.pk, job.kind)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            message="导出失败，请稍后重试或联系管理员。",
            finished_at=timezone.now(),
        )
        return
    job.file.save(result.filename, ContentFile(result.content), save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        file=job.file.name,
        filename=result.filename,
        content_type=result.content_type,
        status=ExportJob.Status.DONE,
        progress=100,
        message="已完成",
        finished_at=timezone.now(),
        expires_at=ExportJob.default_expiry(),
    )


def exports_purge_expired() -> int:
    """Delete expired export files and their jobs."""
    count = 0
    for job in ExportJob.objects.filter(expires_at__lte=timezone.now()):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
