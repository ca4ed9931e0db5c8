"""Issue 15 point 5: each level's notice lasts the configured days, in order, page and API."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import DomainError
from renovation import services
from renovation.models import ProjectStatus, Publicity
from tests.inspections.factories import jpeg_bytes, upload
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus


def start(project, by, level, starts_on, ends_on=None, **kw):
    return services.publicity_start(
        project=project, by=by, level=level, starts_on=starts_on, ends_on=ends_on, **kw
    )


def test_a_notice_shorter_than_the_configured_days_is_refused(household, township_user, settings):
    project = make_project(household, S.JOINT_REVIEWED)
    day = project.joint_reviewed_on + dt.timedelta(days=1)
    with pytest.raises(DomainError, match="公示期不少于7天"):
        start(project, township_user, "village", day, day)  # starts_on == ends_on
    settings.ANJU_PUBLICITY_DAYS = 10
    with pytest.raises(DomainError, match="公示期不少于10天"):
        start(project, township_user, "village", day, day + dt.timedelta(days=8))
    notice = start(project, township_user, "village", day)
    assert (notice.ends_on - notice.starts_on).days + 1 == 10
    assert not Publicity.objects.exclude(pk=notice.pk).exists()


def test_the_next_level_starts_after_the_previous_one_ended(household, township_user):
    project = make_project(household, S.JOINT_REVIEWED)
    day = project.joint_reviewed_on + dt.timedelta(days=1)
    village = start(
        project, township_user, "village", day, photo=upload("公示.jpg", jpeg_bytes(), "image/jpeg")
    )
    assert village.photo and village.photo_content_type == "image/jpeg"
    with pytest.raises(DomainError, match="须在村级公示结束"):
        start(project, township_user, "township", village.ends_on)
    township = start(project, township_user, "township", village.ends_on + dt.timedelta(days=1))
    with pytest.raises(DomainError, match="须在乡镇公示结束"):
        start(project, township_user, "county", township.ends_on - dt.timedelta(days=1))


def test_page_and_api_refuse_a_short_or_out_of_order_notice(
    client, api_client, household, township_user
):
    project = make_project(household, S.JOINT_REVIEWED)
    day = project.joint_reviewed_on + dt.timedelta(days=1)
    api_client.force_authenticate(township_user)
    response = api_client.post(
        "/api/publicities/",
        {"project": project.pk, "level": "village", "starts_on": day, "ends_on": day},
        format="json",
    )
    assert response.status_code == 400 and "公示期不少于7天" in response.json()["detail"]
    client.force_login(township_user)
    response = client.post(
        f"/renovation/{project.pk}/step/publicity/",
        {"level": "village", "starts_on": day, "ends_on": day + dt.timedelta(days=2)},
    )
    assert "公示期不少于7天" in response.content.decode()
    assert not Publicity.objects.exists()
    response = api_client.post(
        "/api/publicities/",
        {"project": project.pk, "level": "village", "starts_on": day},
        format="json",
    )
    assert response.status_code == 201
    response = api_client.post(
        "/api/publicities/",
        {"project": project.pk, "level": "township", "starts_on": day + dt.timedelta(days=3)},
        format="json",
    )
    assert response.status_code == 400 and "须在村级公示结束" in response.json()["detail"]
