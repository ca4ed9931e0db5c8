from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse

from core.models import ExportJob

pytestmark = pytest.mark.django_db


def test_archive_pdf_is_built_in_the_background(
    client, township_user, household, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(township_user)
    page = client.get(reverse("renovation:archive", args=[household.pk])).content.decode()
    assert reverse("export-start", args=["archive"]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("export-start", args=["archive"]), {"household": household.pk}
        )
    job = ExportJob.objects.get()
    assert response.url == reverse("export-detail", args=[job.pk])
    assert (job.status, job.progress) == ("done", 100)
    download = client.get(reverse("export-download", args=[job.pk]))
    pdf = tmp_path / "archive.pdf"
    pdf.write_bytes(b"".join(download.streaming_content))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert household.head_name in text


def test_another_townships_archive_is_404(client, township_user, other_household):
    client.force_login(township_user)
    response = client.post(
        reverse("export-start", args=["archive"]), {"household": other_household.pk}
    )
    assert response.status_code == 404
    assert not ExportJob.objects.exists()
