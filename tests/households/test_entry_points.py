"""The household page is where the work starts: its safety state, its projects (linked) and
the next actions, from the step table and the application guard (issue 19 point 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from renovation.models import ProjectStatus
from renovation.services import application_refusal
from tests.factories import HouseholdFactory
from tests.renovation.factories import appraise, make_project

pytestmark = pytest.mark.django_db


def _page(client, user, household, name="households:detail"):
    client.force_login(user)
    response = client.get(reverse(name, args=[household.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_d_house_shows_its_state_and_offers_apply_and_inspection(client, township_user, areas):
    household = HouseholdFactory(village=areas["village"])
    appraise(household, "D")
    page = _page(client, township_user, household)
    assert 'id="household-safety"' in page and "D级（整栋危房）" in page
    assert reverse("renovation:apply", args=[household.pk]) in page
    assert reverse("inspections:inspection_create", args=[household.pk]) in page
    assert reverse("inspections:hazard_create", args=[household.pk]) in page
    # The appraisal is the county's: not offered to a township.
    assert reverse("inspections:appraisal_create", args=[household.pk]) not in page


def test_apply_is_offered_exactly_when_the_service_would_accept(client, township_user, areas):
    safe_house = HouseholdFactory(village=areas["village"])
    appraise(safe_house, "B")
    page = _page(client, township_user, safe_house)
    assert reverse("renovation:apply", args=[safe_house.pk]) not in page
    assert "暂不能申请改造" in page and "请先完成鉴定" in page
    assert application_refusal(safe_house, township_user) is not None


def test_a_project_is_linked_with_its_next_step(client, township_user, areas):
    household = HouseholdFactory(village=areas["village"])
    project = make_project(household, ProjectStatus.APPLIED)
    page = _page(client, township_user, household)
    assert project.get_absolute_url() in page
    assert reverse("renovation:step", args=[project.pk, "village_review"]) in page
    # An active project: no second application offered, and the reason is said.
    assert reverse("renovation:apply", args=[household.pk]) not in page
    assert "已有进行中的改造项目" in page


def test_an_official_sees_the_state_but_no_action(client, areas, official):
    household = HouseholdFactory(village=areas["village"])
    appraise(household, "C")
    page = _page(client, official, household)
    assert "C级（局部危险）" in page
    assert reverse("renovation:apply", args=[household.pk]) not in page
    assert reverse("inspections:inspection_create", args=[household.pk]) not in page
    assert "暂不能申请改造" not in page


def test_the_appraisal_result_page_offers_apply_for_a_c_house(client, township_user, areas):
    household = HouseholdFactory(village=areas["village"])
    appraise(household, "C", on=dt.date(2026, 1, 5))
    page = _page(client, township_user, household, "inspections:household")
    assert reverse("renovation:apply", args=[household.pk]) in page
    assert reverse("inspections:inspection_create", args=[household.pk]) in page


def test_the_apply_guard_is_the_services(township_user, areas):
    household = HouseholdFactory(village=areas["village"])
    assert "请先完成鉴定" in str(application_refusal(household, township_user))
    appraise(household, "D")
    assert application_refusal(household, township_user) is None
    assert "修缮加固只适用于C级危房" in str(
        application_refusal(household, township_user, method="repair")
    )


def test_the_list_shows_each_households_state_and_its_next_action(
    client, township_user, official, areas
):
    d_house = HouseholdFactory(village=areas["village"], head_name="危房户")
    appraise(d_house, "D")
    HouseholdFactory(village=areas["village"], head_name="未鉴定户")
    client.force_login(township_user)
    page = client.get(reverse("households:list")).content.decode()
    assert '<span class="badge level-D">D级（整栋危房）</span>' in page
    assert '<span class="badge level-unknown">未鉴定</span>' in page
    assert page.count(">录入排查</a>") == 2
    assert reverse("inspections:inspection_create", args=[d_house.pk]) in page
    # A read-only official sees the states and no action.
    client.force_login(official)
    page = client.get(reverse("households:list")).content.decode()
    assert "D级（整栋危房）" in page and ">录入排查</a>" not in page
