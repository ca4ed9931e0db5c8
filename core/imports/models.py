"""The record every import keeps: who uploaded which file for which area, its preview, its
status and who confirmed or cancelled it. Each kind's table (`households.HouseholdImport`,
`rectification.LedgerImport`, `subsidies.PayoutResultImport`) is this abstract model plus the
fields of its kind; `core.imports.pipeline` works on any of them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    APPLIED = "applied", "已导入"
    FAILED = "failed", "导入失败"
    CANCELLED = "cancelled", "已取消"


def import_upload_to(instance, filename: str) -> str:
    # The stored name reveals nothing: the original name is kept in `filename`.
    return f"imports/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.xlsx.enc"


def import_rows_to(instance, filename: str) -> str:
    return f"imports/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.rows.enc"


class ImportRecord(models.Model):
    """An uploaded file, stored encrypted (it may hold full ID and account numbers), previewed
    first and written only on confirm. `preview` holds masked numbers only."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    # The uploader's area: the import may only touch records inside it.
    area = models.ForeignKey(
        "accounts.Area",
        verbose_name="导入范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    filename = models.CharField("文件名", max_length=255)
    file = models.FileField("文件（加密）", upload_to=import_upload_to, blank=True)
    # The rows as parsed at upload (encrypted), so that confirm does not read the file again.
    rows_file = models.FileField("解析结果（加密）", upload_to=import_rows_to, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    row_count = models.PositiveIntegerField("数据行数", default=0)
    error_count = models.PositiveIntegerField("有误行数", default=0)
    preview = models.JSONField("预览", default=dict, blank=True)
    error_summary = models.TextField("错误摘要", blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认/取消人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finished_at = models.DateTimeField("确认/取消时间", null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def scope_prefix(self) -> str:
        return self.area.prefix if self.area_id else ""

    @property
    def is_pending(self) -> bool:
        return self.status == ImportStatus.PENDING
