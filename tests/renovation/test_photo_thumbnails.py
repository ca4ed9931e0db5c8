"""A project's photos on its page are thumbnails that open the original (issue 19 point 2)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from renovation import services
from renovation.models import ProjectStatus
from tests.factories import HouseholdFactory
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db


def test_project_photos_show_as_thumbnails_in_the_users_area_only(
    client, areas, township_user, other_township_user
):
    project = make_project(
        HouseholdFactory(village=areas["village"]), ProjectStatus.UNDER_CONSTRUCTION
    )
    (photo,) = services.project_photos_add(
        project=project,
        by=township_user,
        stage="during",
        files=[upload("a.jpg", jpeg_bytes(size=(1600, 1200)), "image/jpeg")],
    )
    client.force_login(township_user)
    page = client.get(project.get_absolute_url()).content.decode()
    thumb = reverse("renovation:file_thumb", args=["photo", photo.pk])
    assert f'src="{thumb}"' in page
    assert f'href="{reverse("renovation:file", args=["photo", photo.pk])}"' in page
    response = client.get(thumb)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    with Image.open(io.BytesIO(response.content)) as image:
        assert max(image.size) <= 240
    # A document kind has no thumbnail; another township's photo is not there at all.
    evaluation = reverse("renovation:file_thumb", args=["evaluation", photo.pk])
    assert client.get(evaluation).status_code == 404
    client.force_login(other_township_user)
    assert client.get(thumb).status_code == 404
