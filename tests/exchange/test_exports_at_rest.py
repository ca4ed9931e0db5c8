"""#14 point 5: the files of exports with full ID and card numbers (national record, department
comparison, 一卡通 roster, the registry) are encrypted at rest; no full number is in any file
under MEDIA_ROOT, and the download still gives the full workbook."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from core.services import export_start

pytestmark = pytest.mark.django_db

KINDS = [
    ("payout-roster", lambda batch: {"batch": batch.pk}),
    ("national-record", lambda batch: {"year": "2026"}),
    ("department-appraisals", lambda batch: {}),
    ("households", lambda batch: {}),
]


def _texts(path: Path) -> list[str]:
    """What a file holds, unzipped when it is a workbook (xlsx cells are compressed)."""
    data = path.read_bytes()
    texts = [data.decode("latin-1")]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            texts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    return texts


@pytest.mark.parametrize(("kind", "params"), KINDS, ids=[k for k, _ in KINDS])
def test_no_full_number_in_any_stored_file(
    kind,
    params,
    client,
    submitted_batch,
    three_households,
    county_reviewer,
    django_capture_on_commit_callbacks,
):
    numbers = {h.id_number for h in three_households} | {
        h.bank_account for h in three_households if h.bank_account
    }
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(kind=kind, params=params(submitted_batch), by=county_reviewer)
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert job.encrypted
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        for text in _texts(path):
            assert not [n for n in numbers if n in text], path

    # The download is the whole workbook, full numbers included (county reviewers may).
    client.force_login(county_reviewer)
    response = client.get(reverse("export-download", args=[job.pk]))
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    cells = {str(c) for ws in workbook for row in ws.iter_rows(values_only=True) for c in row}
    if kind != "households":  # the registry shows masked numbers to everyone
        assert any(n in cells for n in numbers), kind


def test_expired_exports_are_deleted_from_storage(
    county_reviewer, submitted_batch, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from core.services import exports_purge_expired

    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(kind="households", params={}, by=county_reviewer)
    job.refresh_from_db()
    path = Path(job.file.path)
    assert path.exists()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert exports_purge_expired() == 1
    assert not path.exists() and not ExportJob.objects.filter(pk=job.pk).exists()
