"""A project keeps its household's county and township (issue 18 point 5): written by the
database when the project is written and when its household moves, so the counts of a county
or township read the projects alone (`renovation.models.ProjectScope`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from households.models import Household
from renovation.models import RenovationProject, RenovationProjectEvent
from subsidies.models import PayoutLine
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db


def _codes(project) -> tuple[str, str]:
    return (
        RenovationProject.objects.unscoped("test")
        .values_list("county_prefix", "township_prefix")
        .get(pk=project.pk)
    )


def test_the_codes_are_the_households_whatever_writes_them(areas):
    household = HouseholdFactory(village=areas["village"])
    project = make_project(household)
    assert _codes(project) == ("141124", "141124100")
    RenovationProject.objects.unscoped("test").filter(pk=project.pk).update(
        county_prefix="999999", township_prefix="999999999"
    )
    assert _codes(project) == ("141124", "141124100")  # only the database writes them
    events = RenovationProjectEvent.objects.filter(pgh_obj=project).count()
    # The household moves to another township (ORM, then raw SQL): its project follows.
    Household.objects.unscoped("test").filter(pk=household.pk).update(
        village=areas["other_village"]
    )
    assert _codes(project) == ("141124", "141124101")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE households_household SET village_id = %s WHERE id = %s",
            [areas["village2"].code, household.pk],
        )
    assert _codes(project) == ("141124", "141124100")
    assert RenovationProjectEvent.objects.filter(pgh_obj=project).count() == events


def test_scopes_read_the_projects_own_codes(
    city_areas, county_reviewer, township_user, other_township_user, village_clerk, city_reviewer
):
    mine = make_project(HouseholdFactory(village=city_areas["village"]))
    other = make_project(HouseholdFactory(village=city_areas["other_village"]))

    def visible(user):
        return set(RenovationProject.objects.visible_to(user).values_list("pk", flat=True))

    assert visible(county_reviewer) == {mine.pk, other.pk}
    assert visible(city_reviewer) == {mine.pk, other.pk}
    assert visible(township_user) == {mine.pk}
    assert visible(other_township_user) == {other.pk}
    assert visible(village_clerk) == {mine.pk}
    with CaptureQueriesContext(connection) as queries:
        projects = RenovationProject.objects.visible_to(county_reviewer)
        list(projects.order_by().values("status").annotate(n=Count("id")))  # as the dashboard
        PayoutLine.objects.visible_to(township_user).aggregate(s=Sum("amount"))
    assert all("households_household" not in q["sql"] for q in queries), queries
