"""Issue 15 point 8: an archive item is present only when its document is; the dashboard's
completeness per township counts the same documents."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from renovation.archive import DOCUMENT_ITEMS, build_archive, completeness_by_township
from renovation.models import (
    Acceptance,
    Commitment,
    Demolition,
    ProjectStatus,
    Publicity,
    VillageReview,
)
from reports.dashboard import dashboard
from tests.factories import HouseholdFactory
from tests.inspections.factories import pdf_bytes
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus


def _file(name="doc.pdf"):
    return ContentFile(pdf_bytes(), name=name)


def _complete(project, user):
    """Attach every document of the archive to an accepted project."""
    project.application_file.save("application.pdf", _file(), save=True)
    review = VillageReview.objects.filter(project=project).first()
    if review is None:
        review = VillageReview(
            project=project,
            held_on=project.applied_on,
            result="passed",
            cadres=["王"],
            representatives=["甲", "乙", "丙", "丁", "戊"],
            recorded_by=user,
        )
    review.minutes_file.save("minutes.pdf", _file(), save=True)
    for publicity in Publicity.objects.filter(project=project):
        publicity.photo.save("notice.jpg", _file(), save=True)
    Commitment.objects.get(project=project).file.save("commitment.pdf", _file(), save=True)
    acceptance = Acceptance.objects.get(project=project)
    acceptance.evaluation_form.save("evaluation.pdf", _file(), save=True)
    demolition = Demolition(
        project=project,
        demolished_on=project.accepted_on,
        content_type="image/jpeg",
        recorded_by=user,
    )
    demolition.photo.save("demolition.jpg", _file(), save=True)


def test_items_need_their_documents_and_the_dashboard_counts_the_same(areas, county_reviewer):
    full = make_project(HouseholdFactory(village=areas["village"]), S.ACCEPTED)
    bare = make_project(HouseholdFactory(village=areas["village"]), S.ACCEPTED)
    _complete(full, county_reviewer)

    bare_archive = build_archive(bare.household, county_reviewer).projects[0]
    assert {"改造申请书", "承诺书", "公示照片"} <= set(bare_archive.missing)
    full_archive = build_archive(full.household, county_reviewer).projects[0]
    assert not set(DOCUMENT_ITEMS) & set(full_archive.missing), full_archive.missing
    assert set(DOCUMENT_ITEMS) & set(bare_archive.missing)

    [row] = completeness_by_township(county_reviewer)
    assert (row["total"], row["complete"], row["rate"]) == (2, 1, 50)
    assert dashboard(county_reviewer)["archive_completeness"] == [row]

    # One document gone: both the archive and the dashboard say so.
    Commitment.objects.filter(project=full).update(file="")
    assert "承诺书" in build_archive(full.household, county_reviewer).projects[0].missing
    assert completeness_by_township(county_reviewer)[0]["complete"] == 0


def test_the_home_page_shows_the_completeness(client, areas, county_reviewer):
    make_project(HouseholdFactory(village=areas["village"]), S.ACCEPTED)
    client.force_login(county_reviewer)
    page = client.get("/").content.decode()
    assert "一户一档完整率" in page and areas["township"].name in page


def test_the_api_gives_the_same_completeness(api_client, areas, county_reviewer, township_user):
    make_project(HouseholdFactory(village=areas["village"]), S.ACCEPTED)
    make_project(HouseholdFactory(village=areas["other_village"]), S.ACCEPTED)
    api_client.force_authenticate(county_reviewer)
    rows = api_client.get("/api/archive-completeness/").json()
    assert rows == completeness_by_township(county_reviewer) and len(rows) == 2
    api_client.force_authenticate(township_user)
    assert [r["township"] for r in api_client.get("/api/archive-completeness/").json()] == [
        areas["township"].name
    ]
