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

# The ledger-import pages are the shared import pages (core/imports/pages.py): the role is
# checked first there (an official gets 403 on every import page, as in the matrix), and an
# import is its uploader's: another county's reviewer gets 404 (tests/exchange/
# test_import_kinds.py checks every kind's visibility).
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


# --- Issue 17: the levels above the county ----------------------------------------------------

HIGHER = ("city_reviewer", "city_official", "province_reviewer", "province_official")


@pytest.fixture
def far_users(db):
    """City and province users of *another* city and another province: the first county's
    objects are another area to each of them."""
    from tests.factories import UserFactory, area

    province = area("510000000000", "四川省")
    city = area("511100000000", "乐山市", province)
    other_city = area("140900000000", "忻州市", area("140000000000", "山西省"))
    where = {
        "city_reviewer": other_city,
        "city_official": other_city,
        "province_reviewer": province,
        "province_official": province,
    }
    area("511102000000", "市中区", city)
    return {
        role: UserFactory(username=f"far_{role}", role=role, area=place)
        for role, place in where.items()
    }


HIGHER_CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, case in sorted(ENTRIES.items())
    if case.objects is not None and case.area_scoped and name not in _ELSEWHERE
    for role in HIGHER
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), HIGHER_CASES)
def test_another_citys_or_provinces_object_is_404(
    client, areas, township_user, far_users, name, role
):
    case = ENTRIES[name]
    own, _ = case.objects(areas, township_user)
    client.force_login(far_users[role])
    methods = (["GET"] if case.get else []) + list(case.writes)
    for method in methods:
        response = _call(client, method, case.url(own))
        assert response.status_code == 404, f"{name} {method} as {role} → {response.status_code}"
