import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from inspections.models import InspectionRecord, Photo
from tests.inspections.factories import (
    CampaignFactory,
    heic_bytes,
    jpeg_bytes,
    png_bytes,
    upload,
)


def _files(settings):
    media = Path(settings.MEDIA_ROOT)
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _post(client, household, **extra):
    data = {"inspected_on": "2026-11-22", "occupied": "True", "findings": "后墙开裂约2cm"}
    data.update(extra)
    return client.post(reverse("inspections:inspection_create", args=[household.pk]), data)


def test_form_is_mobile_camera_ready(client, township_user, household):
    client.force_login(township_user)
    page = client.get(
        reverse("inspections:inspection_create", args=[household.pk])
    ).content.decode()
    assert 'name="viewport"' in page
    assert 'accept="image/*,.heic,.heif"' in page and 'capture="environment"' in page
    assert "multiple" in page and "js/location.js" in page


def test_township_user_records_inspection_with_photos(client, township_user, household, settings):
    client.force_login(township_user)
    response = _post(
        client,
        household,
        photos=[
            upload("IMG_1.JPG", jpeg_bytes("2026:11:21 09:15:00")),
            upload("b.png", png_bytes()),
        ],
        latitude="36.123456",
        longitude="111.654321",
        location_accuracy="12",
    )
    assert response.status_code == 302
    record = InspectionRecord.objects.get()
    assert record.inspector == township_user and record.occupied is True
    assert str(record.latitude) == "36.123456"
    photos = list(record.photos.order_by("id"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    # The photo's own capture date is kept beside the claimed inspection date.
    assert photos[0].taken_at == dt.datetime(2026, 11, 21, 1, 15, tzinfo=dt.UTC)
    assert photos[1].taken_at is None
    assert len(_files(settings)) == 2
    assert all(p.file.name.startswith("photos/") for p in photos)
    page = client.get(reverse("inspections:household", args=[household.pk])).content.decode()
    assert "后墙开裂约2cm" in page and "拍摄 2026-11-21 09:15" in page


def test_heic_kept_as_uploaded(client, township_user, household):
    client.force_login(township_user)
    content = heic_bytes()
    assert (
        _post(client, household, photos=[upload("x.HEIC", content, "image/heic")]).status_code
        == 302
    )
    photo = Photo.objects.get()
    assert photo.content_type == "image/heic" and photo.file.name.endswith(".heic")
    served = client.get(photo.get_absolute_url())
    assert served["Content-Type"] == "image/heic"
    assert b"".join(served.streaming_content) == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "evil.jpg",
            b"MZ\x90\x00 this is an exe",
            "不是可接受的文件类型，只接受 JPEG、PNG、HEIC 格式",
        ),
        ("doc.jpg", b"%PDF-1.4\n%%EOF", "不是可接受的文件类型"),
        ("broken.jpg", jpeg_bytes()[:60], "已损坏"),
        ("empty.jpg", b"", "空文件"),
    ],
)
def test_bad_upload_refused_and_nothing_saved(
    client, township_user, household, settings, name, content, message
):
    client.force_login(township_user)
    response = _post(
        client, household, photos=[upload("good.jpg", jpeg_bytes()), upload(name, content)]
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not InspectionRecord.objects.exists() and not Photo.objects.exists()
    assert _files(settings) == []


def test_too_big_upload_refused(client, township_user, household, settings, upload_limit):
    client.force_login(township_user)
    big = jpeg_bytes(size=(1200, 900)) + b"\x00" * upload_limit
    response = _post(client, household, photos=[upload("big.jpg", big)])
    assert "过大" in response.content.decode() and "不能超过" in response.content.decode()
    assert not InspectionRecord.objects.exists() and _files(settings) == []


def test_future_date_and_missing_fields_refused(client, township_user, household):
    client.force_login(township_user)
    page = _post(client, household, inspected_on="2026-11-24").content.decode()
    assert "排查日期不能晚于今天" in page
    page = _post(client, household, occupied="", findings="").content.decode()
    assert "请选择是否住人" in page and "请填写排查情况" in page
    assert not InspectionRecord.objects.exists()


def test_campaign_period_and_scope_checked(
    client, township_user, household, other_household, areas
):
    campaign = CampaignFactory(areas=[areas["other_township"]], created_by=township_user)
    own = CampaignFactory(
        areas=[areas["township"]], created_by=township_user, ends_on=dt.date(2026, 11, 1)
    )
    client.force_login(township_user)
    page = _post(client, household, campaign=own.pk).content.decode()
    assert "排查日期不在批次" in page
    page = _post(client, household, campaign=campaign.pk).content.decode()
    assert "有效的选项" in page  # another township's campaign is not offered
    assert not InspectionRecord.objects.exists()


def test_api_inspection_with_photo(api_client, township_user, household, other_household):
    api_client.force_authenticate(township_user)
    response = api_client.post(
        "/api/inspections/",
        {
            "household": household.pk,
            "inspected_on": "2026-11-22",
            "occupied": "false",
            "findings": "无人居住",
            "photo_files": [upload("a.jpg", jpeg_bytes())],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["occupied"] is False and len(body["photos"]) == 1
    assert body["photos"][0]["taken_at"].startswith("2026-11-20T10:30:00")
    bad = api_client.post(
        "/api/inspections/",
        {
            "household": household.pk,
            "inspected_on": "2026-11-22",
            "occupied": "false",
            "findings": "x",
            "photo_files": [upload("a.jpg", b"GIF89a....")],
        },
        format="multipart",
    )
    assert bad.status_code == 400 and "不是可接受的文件类型" in bad.json()["detail"]
    outside = api_client.post(
        "/api/inspections/",
        {
            "household": other_household.pk,
            "inspected_on": "2026-11-22",
            "occupied": "true",
            "findings": "x",
        },
    )
    assert outside.status_code == 400
    assert InspectionRecord.objects.count() == 1


def test_photo_served_only_inside_area(client, township_user, other_township_user, household):
    client.force_login(township_user)
    _post(client, household, photos=[upload("a.jpg", jpeg_bytes())])
    photo = Photo.objects.get()
    response = client.get(photo.get_absolute_url())
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    client.force_login(other_township_user)
    assert client.get(photo.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(photo.get_absolute_url()).status_code == 302
