"""#18 point 6: uploads and generated files in object storage (S3 API, SeaweedFS started here).

Two app servers (gunicorn processes) with separate local disks share the database and the
bucket: a photo uploaded through one is served by the other, only after the area check, either
streamed by the app or by a presigned redirect; the bucket answers nobody without keys; an
export built by a third process is stored there encrypted and read back through a server.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from accounts.tokens import issue
from core.models import ExportJob
from core.services import export_start
from inspections.models import Photo
from renovation.archive import build_archive_pdf
from renovation.models import ProjectPhoto, ProjectStatus
from tests.factories import HouseholdFactory
from tests.hosts import servers
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.hosts]


@pytest.fixture(scope="module")
def two_hosts(s3_server, tmp_path_factory, django_db_setup):
    """Host A streams private files itself; host B hands out presigned redirects."""
    workdir = tmp_path_factory.mktemp("hosts")
    with (
        servers.app_server(workdir, "a", **s3_server.env()) as a,
        servers.app_server(workdir, "b", **s3_server.env(STORAGE_S3_PRESIGNED_REDIRECT="1")) as b,
    ):
        yield a, b


def _local_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_photo_uploaded_on_one_host_is_served_by_the_other(
    two_hosts, s3_server, township_user, other_township_user, areas
):
    host_a, host_b = two_hosts
    household = HouseholdFactory(village=areas["village"])
    _, token = issue(township_user)
    photo = jpeg_bytes()
    body, content_type = servers.multipart(
        {
            "household": str(household.pk),
            "inspected_on": "2026-11-22",
            "occupied": "true",
            "findings": "墙体开裂",
        },
        [("photo_files", "现场.jpg", photo, "image/jpeg")],
    )
    created = servers.http(
        host_a.url + "/api/inspections/",
        method="POST",
        data=body,
        headers={"Content-Type": content_type, "Authorization": f"Token {token}"},
    )
    assert created.status == 201, created.body[:500]
    url = created.json()["photos"][0]["url"]
    stored = Photo.objects.get(pk=created.json()["photos"][0]["id"])

    # In the bucket, not on either host's disk.
    assert stored.file.name in s3_server.object_names()
    assert _local_files(host_a.media_root) == [] and _local_files(host_b.media_root) == []

    # Host A streams it from the bucket through the app.
    mine = servers.session_cookie(township_user)
    streamed = servers.http(host_a.url + url, headers={"Cookie": mine})
    assert streamed.status == 200 and streamed.body == photo
    assert streamed.headers["Cache-Control"] == "private, no-store"

    # Host B: a presigned redirect to the store, which serves the file with the app's headers.
    redirected = servers.http(host_b.url + url, headers={"Cookie": mine})
    assert redirected.status == 302, redirected.body[:300]
    location = redirected.headers["Location"]
    assert location.startswith(s3_server.endpoint_url) and "X-Amz-Signature" in location
    assert redirected.headers["Cache-Control"] == "private, no-store"
    fetched = servers.http(location)
    assert fetched.status == 200 and fetched.body == photo
    assert fetched.headers["Content-Type"] == "image/jpeg"
    assert "inline" in fetched.headers["Content-Disposition"]

    # Another township: a 404 on both hosts, and no signed URL handed out.
    theirs = servers.session_cookie(other_township_user)
    for host in (host_a, host_b):
        refused = servers.http(host.url + url, headers={"Cookie": theirs})
        assert refused.status == 404
        assert "Location" not in refused.headers

    # The bucket is not public: the object's plain URL without a signature is refused.
    plain = f"{s3_server.endpoint_url}/{s3_server.bucket}/{stored.file.name}"
    assert servers.http(plain).status == 403
    assert servers.http(location.split("?", 1)[0]).status == 403


def test_a_file_gone_from_the_bucket_is_a_404_on_both_hosts(
    two_hosts, s3_server, township_user, areas
):
    host_a, host_b = two_hosts
    household = HouseholdFactory(village=areas["village"])
    _, token = issue(township_user)
    body, content_type = servers.multipart(
        {
            "household": str(household.pk),
            "inspected_on": "2026-11-22",
            "occupied": "true",
            "findings": "屋顶漏雨",
        },
        [("photo_files", "a.jpg", jpeg_bytes(), "image/jpeg")],
    )
    created = servers.http(
        host_b.url + "/api/inspections/",
        method="POST",
        data=body,
        headers={"Content-Type": content_type, "Authorization": f"Token {token}"},
    )
    assert created.status == 201, created.body[:500]
    photo = Photo.objects.get(pk=created.json()["photos"][0]["id"])
    s3_server.client().delete_object(Bucket=s3_server.bucket, Key=photo.file.name)
    cookie = servers.session_cookie(township_user)
    for host in (host_a, host_b):
        assert (
            servers.http(
                host.url + created.json()["photos"][0]["url"], headers={"Cookie": cookie}
            ).status
            == 404
        )


def test_export_is_stored_encrypted_in_the_bucket_and_downloaded_from_a_host(
    two_hosts, s3_storage, county_reviewer, areas, django_capture_on_commit_callbacks
):
    host_a, _ = two_hosts
    household = HouseholdFactory(village=areas["village"], head_name="王五")
    # This process is the worker host: eager here, writing to the same bucket.
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(kind="households", params={}, by=county_reviewer)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.message
    assert default_storage.__class__.__name__ == "S3Storage"
    assert job.file.name in s3_storage.object_names()
    raw = s3_storage.client().get_object(Bucket=s3_storage.bucket, Key=job.file.name)
    ciphertext = raw["Body"].read()
    assert not zipfile.is_zipfile(io.BytesIO(ciphertext))  # Fernet, not a workbook
    assert household.id_number.encode() not in ciphertext

    download = servers.http(
        f"{host_a.url}/exports/{job.pk}/download/",
        headers={"Cookie": servers.session_cookie(county_reviewer)},
    )
    assert download.status == 200, download.body[:300]
    sheet = load_workbook(io.BytesIO(download.body), read_only=True).active
    assert any("王五" in str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    assert _local_files(host_a.media_root) == []


def test_archive_pdf_embeds_photos_read_from_the_bucket(
    s3_storage, township_user, household, tmp_path
):
    """一户一档: photos in object storage have no local path; the PDF still embeds them."""
    project = make_project(household, ProjectStatus.UNDER_CONSTRUCTION)
    photo = ProjectPhoto(
        project=project,
        stage="before",
        content_type="image/jpeg",
        size=1,
        uploaded_by=township_user,
    )
    photo._sniffed_extension = "jpg"
    photo.file.save("p.jpg", upload("p.jpg", jpeg_bytes(size=(400, 300))), save=False)
    photo.save()
    assert photo.file.name in s3_storage.object_names()
    path = tmp_path / "archive.pdf"
    path.write_bytes(build_archive_pdf(household, township_user))
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True)
    assert "jpeg" in images.stdout, images.stdout
