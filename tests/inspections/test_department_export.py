"""The C/D/无房 appraisal results sent back to 民政 and 乡村振兴 for comparison."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import ExportJob
from households.models import SensitiveAccessLog
from inspections.department_exports import HEADER, PURPOSE
from tests.factories import HouseholdFactory
from tests.inspections.factories import AppraisalFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db


def _export(client, user, capture):
    client.force_login(user)
    with capture(execute=True):
        response = client.post(reverse("export-start", args=["department-appraisals"]))
    assert response.status_code == 302
    job = ExportJob.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    job.refresh_from_db()
    assert job.status == "done", job.message
    response = client.get(reverse("export-download", args=[job.pk]))
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


@pytest.fixture
def appraised(areas, county_reviewer):
    def make(name, village, level, category="dibao", method="assessed", **extra):
        h = HouseholdFactory(head_name=name, village=areas[village], category=category, **extra)
        AppraisalFactory(
            household=h,
            level=level,
            method=method,
            appraised_on=dt.date(2026, 5, 3),
            created_by=county_reviewer,
        )
        return h

    households = {
        "甲C": make("甲C", "village", "C", category="at_risk", monitoring_household_no="H9"),
        "乙D": make("乙D", "village2", "D", method="third_party"),
        "丙无房": make("丙无房", "village", "none"),
        "丁B": make("丁B", "village", "B"),
        "戊外镇D": make("戊外镇D", "other_village", "D"),
    }
    # Re-appraised as B after repair: no longer on the list.
    fixed = make("己已修", "village", "D")
    AppraisalFactory(
        household=fixed, level="B", appraised_on=dt.date(2026, 9, 1), created_by=county_reviewer
    )
    HouseholdFactory(head_name="庚未鉴定", village=areas["village"])
    return households


def test_township_gets_own_area_masked(
    client, township_user, appraised, django_capture_on_commit_callbacks
):
    rows = _export(client, township_user, django_capture_on_commit_callbacks)
    assert rows[0] == HEADER
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"甲C", "乙D", "丙无房"}
    c = by_name["甲C"]
    household = appraised["甲C"]
    assert c[0] == household.id_number_masked
    assert c[2:8] == ["临泉镇", "东村", "易返贫致贫户", "C级", "2026-05-03", "评定"]
    assert c[9] == "H9"
    assert by_name["乙D"][4:8] == ["农村低保户", "D级", "2026-05-03", "鉴定"]
    assert by_name["丙无房"][5] == "无房"
    assert all(h.id_number not in str(rows) for h in appraised.values())
    assert not SensitiveAccessLog.objects.exists()


def test_county_reviewer_gets_full_numbers_logged(
    client, county_reviewer, appraised, django_capture_on_commit_callbacks
):
    rows = _export(client, county_reviewer, django_capture_on_commit_callbacks)
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"甲C", "乙D", "丙无房", "戊外镇D"}
    assert by_name["戊外镇D"][0] == appraised["戊外镇D"].id_number
    logs = SensitiveAccessLog.objects.filter(user=county_reviewer, purpose=PURPOSE)
    assert logs.count() == 4
    assert set(logs.values_list("household__head_name", flat=True)) == set(by_name)
    assert set(logs.values_list("field", flat=True)) == {"id_number"}


def test_renovation_status_shown(
    client, county_reviewer, areas, django_capture_on_commit_callbacks
):
    household = HouseholdFactory(head_name="改造户", village=areas["village"])
    make_project(household, "approved")
    rows = _export(client, county_reviewer, django_capture_on_commit_callbacks)
    row = next(r for r in rows if r[1] == "改造户")
    assert (row[5], row[8]) == ("D级", "已批准（列入年度计划）")


def test_official_may_download_masked(
    client, official, appraised, django_capture_on_commit_callbacks
):
    rows = _export(client, official, django_capture_on_commit_callbacks)
    assert len(rows) == 5
    assert all("*" in r[0] for r in rows[1:])
    assert not SensitiveAccessLog.objects.exists()


def test_household_list_has_the_button(client, township_user):
    client.force_login(township_user)
    page = client.get(reverse("households:list")).content.decode()
    assert reverse("export-start", args=["department-appraisals"]) in page
    assert "部门比对导出" in page
