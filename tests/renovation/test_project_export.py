"""The project list as Excel: the page's filters, scoped, ID numbers masked, amounts numeric."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from renovation.exports import PROJECT_HEADER
from renovation.models import ProjectStatus as S
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db


def _export(client, capture, **params) -> list[list]:
    with capture(execute=True):
        response = client.post(reverse("export-start", args=["projects"]), params)
    assert response.status_code == 302
    job = ExportJob.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    download = client.get(reverse("export-download", args=[job.pk]))
    assert download.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


@pytest.fixture
def projects(areas):
    def new(village, name, status, **fields):
        household = HouseholdFactory(village=areas[village], head_name=name, family_size=3)
        return make_project(household, status, **fields)

    return {
        "approved": new("village", "甲", S.APPROVED),
        "applied": new("village2", "乙", S.APPLIED),
        "closed": new("village", "丙", S.CLOSED, demolition_not_applicable_reason="修缮加固"),
        "other": new("other_village", "丁", S.APPROVED),
        "last_year": new("village", "戊", S.APPROVED, year=2025),
    }


def test_township_export_follows_the_filters_and_masks_ids(
    client, township_user, projects, django_capture_on_commit_callbacks
):
    client.force_login(township_user)
    rows = _export(client, django_capture_on_commit_callbacks, year="2026")
    assert rows[0] == PROJECT_HEADER
    by_name = {r[4]: r for r in rows[1:]}
    assert set(by_name) == {"甲", "乙", "丙"}  # not another township's, not 2025's
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    approved = by_name["甲"]
    household = projects["approved"].household
    assert approved[5] == household.id_number_masked
    assert household.id_number not in str(rows)
    assert approved[10] == "已批准（列入年度计划）"
    assert approved[13] == 50000 and isinstance(approved[13], int | float)
    assert by_name["丙"][18] == "无需拆除"
    assert by_name["乙"][13] is None

    rows = _export(client, django_capture_on_commit_callbacks, year="2026", status="approved")
    assert [r[4] for r in rows[1:]] == ["甲"]


def test_county_export_holds_every_township(
    client, county_reviewer, projects, django_capture_on_commit_callbacks
):
    client.force_login(county_reviewer)
    rows = _export(client, django_capture_on_commit_callbacks)
    assert {r[4] for r in rows[1:]} == {"甲", "乙", "丙", "丁", "戊"}
    assert Decimal(sum(r[13] or 0 for r in rows[1:])) == Decimal("200000")


def test_project_list_page_offers_the_export_with_its_filters(client, township_user, projects):
    client.force_login(township_user)
    page = client.get(reverse("renovation:list"), {"status": "approved"}).content.decode()
    assert 'id="project-export"' in page
    assert '<input type="hidden" name="status" value="approved">' in page
