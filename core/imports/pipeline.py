"""The one import pipeline: upload → preview → confirm (all rows, or only the valid ones) or
cancel, for every kind of file the app takes in (the departments' household lists, the 防返贫
监测 export, earlier years' renovations, a rectification ledger, the finance bureau's payout
result).

Written once here: the role and area checks (again at confirm: a user moved or demoted since
the upload cannot confirm), the size and zip checks, the encrypted storage of the file, the
all-or-nothing write under a lock on the import's row, the audit attribution and the file's
removal on cancel. A kind is one `ImportSpec`: its record model (an `ImportRecord`), how the
stored file is parsed, how the rows are planned against the database (again under the lock at
confirm: the data may have changed since the preview), how the preview is kept and how the
plan is written. Its pages are `core.imports.pages`.
"""

from __future__ import annotations

import io
import pickle
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.scoping import area_prefix
from core.audit import acting_as
from core.errors import DomainError
from core.imports.bulk import checks_at_once
from core.imports.files import ImportFileError, _decrypt_file, read_upload, save_with_upload
from core.imports.models import ImportRecord, ImportStatus
from core.rules import require_role


def _all_or_valid(record: ImportRecord, unit: str) -> str:
    return (
        f"文件中有 {record.error_count} 行存在错误，未导入任何数据。"
        f"请修改文件后重新上传，或选择“只导入无误的{unit}”。"
    )


@dataclass(frozen=True)
class ImportSpec:
    """What one kind of import is."""

    #: The kind's name in the registry (`KINDS`).
    name: str
    model: type[ImportRecord]
    roles: frozenset[str]
    #: The refusal's words for a user outside `roles` ("确认导入名单").
    action: str
    #: (the file's bytes, the record) → rows; raises `ImportFileError` on an unreadable file.
    parse: Callable[[bytes, ImportRecord], Any]
    #: (rows, the record, *, lock) → a plan with `.counts["error"]`; `lock=True` at confirm,
    #: inside the transaction (lock what the write depends on).
    plan: Callable[..., Any]
    #: (record, plan) → None: the preview, `row_count` and `error_count` on the record.
    store_preview: Callable[[ImportRecord, Any], None]
    #: (plan, *, record, by) → None: write the plan (the valid rows of it) and set the
    #: record's result fields.
    write: Callable[..., None]
    #: The stored file's name when the upload has none.
    default_filename: str
    #: What a row is called in messages ("行", "户", "条").
    unit: str = "行"
    #: May the user import only the valid rows of a file with errors?
    partial: bool = True
    #: The message when confirming a file that has errors (and `only_valid` is not asked).
    refused: Callable[[ImportRecord, str], str] = _all_or_valid
    #: The message when the database refuses the write (e.g. a unique ID number).
    integrity: str = "导入时有其他用户录入了相同的数据，本次未导入任何数据。请刷新后重新确认。"
    #: The area an upload is for, from the user (default: the user's own).
    area_of: Callable[[User], Any] = lambda user: user.area
    #: The upload's record fields → the same, checked (raise `DomainError` to refuse).
    clean: Callable[[dict], dict] = lambda fields: fields
    #: Keep the parsed rows from the upload for the confirm (False: parse the file again, for
    #: a kind whose parse reads the database, e.g. matches lines).
    keep_rows: bool = True
    #: The key of the import's id in the audit context of the write.
    audit_key: str = "import"


#: Every kind of import, by name (the tests walk it).
KINDS: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> ImportSpec:
    """Add a kind to the registry; returns it (`KIND = register(ImportSpec(...))`)."""
    if spec.name in KINDS:
        raise ValueError(f"import kind {spec.name!r} registered twice")
    KINDS[spec.name] = spec
    return spec


def upload(spec: ImportSpec, *, by: User, uploaded, **fields) -> ImportRecord:
    """Check, parse and preview a file; stores it encrypted, writes nothing else."""
    if not by.is_active:
        raise DomainError("您的账号已停用，不能导入。")
    require_role(by, spec.roles, spec.action)
    if area_prefix(by) is None:
        raise DomainError("您的账号尚未分配区划，不能导入。")
    fields = spec.clean(fields)
    data = read_upload(uploaded)
    record = spec.model(created_by=by, area=spec.area_of(by), **fields)
    rows = spec.parse(data, record)
    # Kept as parsed, before the plan marks them: the confirm plans them again.
    parsed = _dump_rows(rows) if spec.keep_rows else None
    plan = spec.plan(rows, record, lock=False)
    spec.store_preview(record, plan)
    # 100,000 rows take about 150 MB: given back before the two files are sealed (Fernet
    # copies its input a few times over).
    del rows, plan
    return save_with_upload(
        record, data, getattr(uploaded, "name", ""), spec.default_filename, parsed=parsed
    )


class _Deflating:
    """A file for `pickle.Pickler` that compresses as it is written: the pickle of 100,000
    rows (about 90 MB) is never in memory whole, only its compressed bytes (about 10 MB)."""

    def __init__(self):
        self._zlib = zlib.compressobj(1)
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(self._zlib.compress(data))
        return len(data)

    def value(self) -> bytes:
        self._parts.append(self._zlib.flush())
        return b"".join(self._parts)


class _Inflating(io.RawIOBase):
    """The reverse for `pickle.load`: the rows' bytes decompressed a piece at a time."""

    PIECE = 64 * 1024

    def __init__(self, data: bytes):
        self._zlib = zlib.decompressobj()
        self._data = memoryview(data)
        self._at = 0
        self._out = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._out:
            if self._at >= len(self._data):
                self._out = self._zlib.flush()
                if not self._out:
                    return 0
                break
            piece = self._data[self._at : self._at + self.PIECE]
            self._at += self.PIECE
            self._out = self._zlib.decompress(piece)
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]
        return size


#: Rows per pickle: a pickler remembers every object it wrote (its memo, about 100 MB for
#: 100,000 rows at once), so a list of rows is written as a run of pickles of this many.
PICKLE_CHUNK = 5000


def _dump_rows(rows) -> bytes:
    """The rows as zlib-compressed pickles (what `_load_rows` reads back): a list as a run of
    lists of `PICKLE_CHUNK` rows, anything else as one pickle."""
    out = _Deflating()
    if isinstance(rows, list) and rows:
        for start in range(0, len(rows), PICKLE_CHUNK):
            pickle.dump(rows[start : start + PICKLE_CHUNK], out, pickle.HIGHEST_PROTOCOL)
    else:
        pickle.dump(rows, out, pickle.HIGHEST_PROTOCOL)
    return out.value()


class _Bounded:
    """The stream `pickle.load` reads, refusing a read larger than any piece of rows (a
    frame or a string): bytes of another format, read as a pickle, fail at once instead of
    asking for an absurd amount of memory."""

    LIMIT = 16 * 1024 * 1024

    def __init__(self, data: bytes):
        self._stream = io.BufferedReader(_Inflating(data), buffer_size=256 * 1024)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self.LIMIT:
            raise pickle.UnpicklingError(f"read of {size} bytes: not rows kept by this app")
        return self._stream.read(size)

    def readinto(self, buffer) -> int:
        return self._stream.readinto(buffer)

    def readline(self) -> bytes:
        return self._stream.readline()

    def peek(self, size: int = 0) -> bytes:
        return self._stream.peek(size)


def _load_rows(data: bytes):
    """What `_dump_rows` wrote (also one pickle of all rows, as kept by earlier versions).

    Only for bytes this app sealed (Fernet authenticates them): see `_stored_rows`."""
    stream = _Bounded(data)
    rows = pickle.load(stream)  # noqa: S301
    while stream.peek(1):
        rows.extend(pickle.load(stream))  # noqa: S301
    return rows


def _stored_rows(spec: ImportSpec, record: ImportRecord):
    """The rows of the upload: as parsed then, or read from the stored file again."""
    if not (spec.keep_rows and record.rows_file):
        return spec.parse(read_stored(record), record)
    try:
        with record.rows_file.open("rb") as stored:
            sealed = _decrypt_file(stored.read())
    except (OSError, ValueError, InvalidToken) as exc:
        raise ImportFileError("导入文件已丢失或无法解密，请重新上传。") from exc
    # The bytes were written by `upload` and sealed with Fernet, which authenticates them:
    # anything not written by this app fails the check above and is never unpickled.
    try:
        return _load_rows(sealed)
    except (zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        # Rows kept by an earlier version of the app whose row classes have changed.
        raise ImportFileError("该导入的预览已失效（系统已更新），请重新上传文件。") from exc


def require_current_scope(spec: ImportSpec, record: ImportRecord, *, by: User) -> None:
    """Refuse to preview or write `record` unless `by`, as the account is now, may: still
    active, still in an importing role, and the area saved at upload still inside the user's
    current area (a user moved or demoted since the upload cannot confirm it)."""
    if not by.is_active:
        raise DomainError("您的账号已停用，不能查看或确认导入。")
    require_role(by, spec.roles, spec.action)
    prefix = area_prefix(by)
    if prefix is None or not record.scope_prefix.startswith(prefix):
        raise DomainError(
            "该导入上传时的区划已不在您当前的管辖范围内（账号的区划或角色已变更），"
            "不能确认，未导入任何数据。请在当前区划重新上传。"
        )


def read_stored(record: ImportRecord) -> bytes:
    try:
        with record.file.open("rb") as stored:
            return _decrypt_file(stored.read())
    except (OSError, ValueError, InvalidToken) as exc:
        raise ImportFileError("导入文件已丢失或无法解密，请重新上传。") from exc


def _not_pending(record: ImportRecord, verb: str) -> DomainError:
    return DomainError(f"该导入的状态为“{record.get_status_display()}”，不能{verb}。")


def _locked(spec: ImportSpec, record: ImportRecord) -> ImportRecord:
    # The import's own row: held while it is written, so two confirms cannot both write.
    # Waiting is right here: the second confirm then sees the first one's status.
    return (
        spec.model.objects.unscoped("re-lock of a held import")
        .select_for_update()
        .get(pk=record.pk)
    )


def confirm(
    spec: ImportSpec, record: ImportRecord, *, by: User, only_valid: bool = False
) -> ImportRecord:
    """Write a previewed file: all rows or nothing, or (`only_valid`) the valid ones only.

    The rows kept from the upload (or the stored file parsed again) are planned again inside
    the transaction, because the data may have changed since the preview."""
    require_current_scope(spec, record, by=by)
    if not record.is_pending:
        raise _not_pending(record, "再次确认")
    if only_valid and not spec.partial:
        raise DomainError("该类导入只能整份导入：请修改文件中的错误后重新上传。")
    try:
        rows = _stored_rows(spec, record)
    except ImportFileError as exc:
        spec.model.objects.unscoped("marking a held import failed").filter(
            pk=record.pk, status=ImportStatus.PENDING
        ).update(
            status=ImportStatus.FAILED,
            error_summary=str(exc),
            finished_by=by,
            finished_at=timezone.now(),
        )
        raise
    refused = ""
    try:
        with transaction.atomic(), acting_as(by, **{spec.audit_key: record.pk}):
            locked = _locked(spec, record)
            if not locked.is_pending:
                raise _not_pending(locked, "再次确认")
            plan = spec.plan(rows, locked, lock=True)
            spec.store_preview(locked, plan)
            if plan.counts["error"] and not only_valid:
                refused = spec.refused(locked, spec.unit)
                locked.save()
            else:
                with checks_at_once():  # a large load without a quadratic cost
                    spec.write(plan, record=locked, by=by)
                locked.status = ImportStatus.APPLIED
                locked.finished_by = by
                locked.finished_at = timezone.now()
                locked.save()
    except IntegrityError as exc:
        raise DomainError(spec.integrity) from exc
    if refused:
        raise DomainError(refused)
    return locked


def cancel(spec: ImportSpec, record: ImportRecord, *, by: User) -> ImportRecord:
    """Drop a pending import and its stored file."""
    require_role(by, spec.roles, spec.action)
    with transaction.atomic(), acting_as(by):
        locked = _locked(spec, record)
        if not locked.is_pending:
            raise _not_pending(locked, "取消")
        stored = [name for name in (locked.file.name, locked.rows_file.name) if name]
        locked.status = ImportStatus.CANCELLED
        locked.file = ""
        locked.rows_file = ""
        locked.finished_by = by
        locked.finished_at = timezone.now()
        locked.save()
        storage = locked.file.storage
        for name in stored:
            transaction.on_commit(lambda name=name: storage.delete(name))
    return locked
