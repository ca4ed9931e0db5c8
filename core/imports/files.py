"""The checks and helpers every spreadsheet import shares: the upload's size, the zip
container (no zip bomb, no foreign archive), the encrypted copy kept for the confirmation,
and the normalisation of cell text and headers. Used by the household lists
(households.importer, households.monitoring), the finance result (subsidies.roster) and the
rectification ledger (rectification.importer)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from core import crypto
from core.errors import DomainError

# Styled but empty rows (a whole formatted column) end the data: stop scanning after this many.
MAX_BLANK_RUN = 1000
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (not an xlsx, wrong columns, too large...)."""


def unzipped_limit() -> int:
    return min(ZIP_MAX_UNCOMPRESSED, 20 * settings.ANJU_IMPORT_MAX_BYTES)


def check_archive(data: bytes, filename: str = "") -> None:
    """Refuse anything that is not a plausible, reasonably sized .xlsx before openpyxl sees it."""
    name = filename.lower()
    if not data:
        raise ImportFileError("上传的文件是空的。")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            "这是旧版 Excel（.xls）文件或设置了密码的工作簿，无法导入。"
            "请在 Excel 中“另存为”Excel 工作簿（.xlsx，不设密码）后再上传。"
        )
    if data[:4] == b"%PDF":
        raise ImportFileError("这是 PDF 文件，不是 Excel 表格。请使用导入模板（.xlsx）填写后上传。")
    if data[:4] != b"PK\x03\x04":
        hint = "（CSV 文件请在 Excel 中另存为 .xlsx）" if name.endswith((".csv", ".txt")) else ""
        raise ImportFileError(
            f"文件不是有效的 Excel（.xlsx）表格{hint}，请使用导入模板填写后上传。"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ImportFileError("文件已损坏或不是有效的 Excel（.xlsx）表格。") from exc
    if len(members) > ZIP_MAX_MEMBERS:
        raise ImportFileError("文件结构异常（包含的部件过多），已拒绝。")
    # Declared sizes bound what zipfile will inflate (it stops at file_size), so their sum
    # is a safe upper bound of what openpyxl can be made to read: a zip bomb ends here.
    if sum(m.file_size for m in members) > unzipped_limit():
        raise ImportFileError(
            "文件解压后体积异常（疑似压缩炸弹），已拒绝。请上传正常的 Excel 表格。"
        )
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise ImportFileError("文件不是 Excel 工作簿（.xlsx），可能是 Word 文档或其他压缩文件。")


def _text(value: Any) -> str:
    if type(value) is str:  # most cells: first, before the isinstance checks
        return value.replace("\u3000", " ").strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def _normalize_header(value: Any) -> str:
    return "".join(_text(value).split()).replace("*", "").replace("＊", "")


def _encrypt_file(data: bytes) -> bytes:
    return crypto.encrypt_bytes(data)


def _decrypt_file(token: bytes) -> bytes:
    return crypto.decrypt_bytes(token)


def save_with_upload(
    record, data: bytes, filename: str, fallback: str, parsed: bytes | None = None
):
    """Save an import's row with its uploaded file, encrypted at rest, named after the
    sender's file (`fallback` when it has none), and (`parsed`) the rows read from it; a row
    that cannot be saved leaves no file."""
    record.filename = (filename or fallback).rsplit("/", 1)[-1][:255]
    record.file.save("upload", ContentFile(_encrypt_file(data)), save=False)
    if parsed is not None:
        record.rows_file.save("rows", ContentFile(_encrypt_file(parsed)), save=False)
    try:
        with transaction.atomic():
            record.save()
    except Exception:
        record.file.delete(save=False)
        if parsed is not None:
            record.rows_file.delete(save=False)
        raise
    return record


def read_upload(uploaded) -> bytes:
    """The uploaded file's bytes, after the size and archive checks."""
    limit = settings.ANJU_IMPORT_MAX_BYTES
    if uploaded.size > limit:
        raise ImportFileError(
            f"文件过大（{uploaded.size / 1024 / 1024:.1f} MB），"
            f"上限为 {limit / 1024 / 1024:.1f} MB。请拆分为多个文件分别导入。"
        )
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(f"文件过大，上限为 {limit / 1024 / 1024:.1f} MB。")
    check_archive(data, getattr(uploaded, "name", "") or "")
    return data
