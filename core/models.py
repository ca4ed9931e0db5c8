from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def export_upload_to(instance, filename: str) -> str:
    return f"exports/{timezone.localdate():%Y/%m}/{instance.pk}/{filename}"


class ExportJob(models.Model):
    """A download built in the background; its file is kept for a while, then expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("类型", max_length=60)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to=export_upload_to, max_length=300, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written every few seconds by the process building the file (core.services): a job whose
    # heartbeat stopped belongs to a dead worker and is taken over or failed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # How many times a worker claimed it: a job that kills its workers is not retried forever.
    attempts = models.PositiveSmallIntegerField(default=0)
    # The stored file is Fernet-encrypted (core.crypto keys); decrypted while downloading.
    encrypted = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "后台导出"
        verbose_name_plural = "后台导出"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="export_progress_0_100", condition=models.Q(progress__lte=100)
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @staticmethod
    def default_expiry():
        hours = settings.ANJU_EXPORT_KEEP_HOURS
        return timezone.now() + timedelta(hours=hours)
