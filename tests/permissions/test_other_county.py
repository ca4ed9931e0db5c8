"""Scope first, then role (issue 14 point 10): another county's object is a 404 for every user.

For every renovation and rectification URL tied to an object, each role of a second county
(reviewer, approver, township staff, village clerk, official) gets a 404 on every method,
before any role or status check could answer 403 or 400 and so tell that the object exists.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from renovation.steps import STEPS as RENOVATION_STEPS
from tests.permissions import entries_rectification, entries_renovation
from tests.permissions.matrix import Case
from tests.permissions.test_matrix import _call

ENTRIES: dict[str, Case] = {**entries_renovation.ENTRIES, **entries_rectification.ENTRIES}
# The page of every renovation step, not only the first one the matrix names.
_step_case = entries_renovation.ENTRIES["renovation:step"]
for _name in RENOVATION_STEPS:
    ENTRIES[f"renovation:step:{_name}"] = Case(
        "page",
        (lambda step: lambda o: reverse("renovation:step", args=[o.pk, step]))(_name),
        objects=_step_case.objects,
        writes=("POST",),
    )

# The ledger-import pages move into the shared import pipeline (another branch); their own
# permission entries stay in the matrix.
_ELSEWHERE = {
    "rectification:import_detail",
    "rectification:import_confirm",
    "rectification:import_cancel",
}
ROLES = ("county_reviewer", "county_approver", "township_staff", "village_clerk", "official")
CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, case in sorted(ENTRIES.items())
    if case.objects is not None and case.area_scoped and name not in _ELSEWHERE
    for role in ROLES
]


@pytest.fixture
def other_county_users(db):
    from tests.factories import UserFactory, area

    county = area("141125000000", "邻县")
    township = area("141125100000", "邻镇", county)
    village = area("141125100201", "邻村", township)
    where = {
        "county_reviewer": county,
        "county_approver": county,
        "township_staff": township,
        "village_clerk": village,
        "official": county,
    }
    return {
        role: UserFactory(username=f"other_{role}", role=role, area=place)
        for role, place in where.items()
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), CASES)
def test_another_countys_object_is_404_for_every_role(
    client, areas, township_user, other_county_users, name, role
):
    case = ENTRIES[name]
    own, _ = case.objects(areas, township_user)
    client.force_login(other_county_users[role])
    methods = (["GET"] if case.get else []) + list(case.writes)
    for method in methods:
        response = _call(client, method, case.url(own))
        assert response.status_code == 404, f"{name} {method} as {role} → {response.status_code}"
