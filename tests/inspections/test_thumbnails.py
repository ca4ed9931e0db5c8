"""Photos show as thumbnails that open full size (issue 19 point 2)."""

from __future__ import annotations

import io

from django.urls import reverse
from PIL import Image

from inspections.models import InspectionRecord
from tests.inspections.factories import jpeg_bytes, png_bytes, upload
from tests.inspections.test_inspections import _post


def _size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG"
        return image.size


def test_the_record_page_shows_small_thumbnails_that_open_the_original(
    client, township_user, household
):
    client.force_login(township_user)
    _post(
        client,
        household,
        photos=[upload("a.jpg", jpeg_bytes(size=(1600, 1200))), upload("b.png", png_bytes())],
    )
    photos = list(InspectionRecord.objects.get().photos.order_by("id"))
    page = client.get(reverse("inspections:household", args=[household.pk])).content.decode()
    for photo in photos:
        thumb = reverse("inspections:photo_thumb", args=[photo.pk])
        original = reverse("inspections:photo_file", args=[photo.pk])
        assert f'href="{original}"' in page and f'src="{thumb}"' in page
        response = client.get(thumb)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        content = b"".join(response) if response.streaming else response.content
        assert max(_size(content)) <= 240
    assert "照片1</a>" not in page  # no text links any more


def test_a_thumbnail_of_another_township_is_404(
    client, township_user, household, other_township_user
):
    client.force_login(township_user)
    _post(client, household, photos=[upload("a.jpg", jpeg_bytes())])
    photo = InspectionRecord.objects.get().photos.get()
    client.force_login(other_township_user)
    assert client.get(reverse("inspections:photo_thumb", args=[photo.pk])).status_code == 404
