"""Issue 15 point 4: a planned area at application; the standard warns then, blocks the
approval unless an exception is recorded, and is checked again at acceptance; for ④⑤ the
township's approved area stands in for the standard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import DomainError
from households.models import Category
from renovation import services
from renovation.models import ProjectStatus
from tests.factories import HouseholdFactory
from tests.renovation.factories import appraise, make_project

pytestmark = pytest.mark.django_db
S = ProjectStatus
TODAY = dt.date(2026, 5, 20)


def test_application_needs_a_planned_area_and_warns_on_the_page(client, household, village_clerk):
    appraise(household, "D")
    with pytest.raises(DomainError, match="请填写计划建筑面积"):
        services.project_apply(
            household=household, by=village_clerk, year=2026, applied_on=TODAY, method="rebuild"
        )
    client.force_login(village_clerk)
    response = client.post(
        f"/renovation/apply/{household.pk}/",
        {"year": 2026, "applied_on": str(TODAY), "method": "rebuild", "planned_area": "120"},
        follow=True,
    )
    page = response.content.decode()
    assert "计划面积不符合面积标准" in page and "3人户建筑面积应为48–75㎡" in page


def test_a_planned_area_outside_the_standard_blocks_approval_until_an_exception(
    household, county_reviewer, county_approver
):
    project = make_project(household, S.PUBLICITY, planned_area=Decimal("120"))
    with pytest.raises(DomainError, match="须由县住建局录入面积标准例外"):
        services.project_approve(project=project, by=county_approver)
    services.area_exception_grant(project=project, by=county_reviewer, reason="五保户与亲属合住")
    project = services.project_approve(project=project, by=county_approver)
    assert project.status == S.APPROVED


def test_for_hardship_households_the_township_approves_the_area(
    areas, township_user, county_reviewer
):
    household = HouseholdFactory(village=areas["village"], category=Category.HARDSHIP)
    project = make_project(household, S.VILLAGE_REVIEWED, planned_area=Decimal("90"))

    def review(**kw):
        return services.township_review(
            project=project,
            by=township_user,
            reviewed_on=TODAY,
            passed=True,
            opinion="同意",
            township_amount=Decimal("18000"),
            **kw,
        )

    with pytest.raises(DomainError, match="以乡镇人民政府审批为准"):
        review()
    project = review(township_area=Decimal("90"))
    assert project.township_area == Decimal("90.00")
    # The township's area, not the standard (3 persons: 48–75 ㎡), decides.
    assert services.area_violation(project, Decimal("90")) is None
    assert "乡镇审批的90㎡" in services.area_violation(project, Decimal("95"))


def test_the_village_notice_shows_the_area_and_the_publicity_period(
    areas, household, county_reviewer
):
    from renovation.documents import NOTICE_HEADERS, notice_rows

    make_project(household, S.PUBLICITY, planned_area=Decimal("60"))
    [row] = notice_rows(county_reviewer, areas["village"], 2026)
    values = dict(zip(NOTICE_HEADERS, row, strict=True))
    assert values["面积（㎡）"] == "60"
    assert values["村级公示期"].endswith("至" + values["村级公示期"][-10:])
    assert "至" in values["村级公示期"]
