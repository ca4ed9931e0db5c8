"""Every URL, every role: anonymous, another township, read-only official, the right role."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.urls import URLResolver, get_resolver

import tests.permissions as package
from tests.permissions.matrix import Case

ENTRIES: dict[str, Case] = {}
for module in pkgutil.iter_modules(package.__path__):
    if module.name.startswith("entries_"):
        ENTRIES.update(importlib.import_module(f"tests.permissions.{module.name}").ENTRIES)


def url_names(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, ns)
        elif pattern.name:
            yield namespace + pattern.name


def test_every_url_name_is_in_the_matrix():
    names = {n for n in url_names() if not n.startswith("admin:")}
    missing = sorted(names - ENTRIES.keys())
    stale = sorted(ENTRIES.keys() - names)
    assert not missing, f"URL names without a permission-matrix entry: {missing}"
    assert not stale, f"matrix entries for URL names that no longer exist: {stale}"


def _call(client, method, url):
    kwargs = {"content_type": "application/json", "data": "{}"} if method != "GET" else {}
    return getattr(client, method.lower())(url, **kwargs)


@pytest.fixture
def setup(request, areas, township_user):
    name = request.param
    case = ENTRIES[name]
    own, other = case.objects(areas, township_user) if case.objects else (None, None)
    return name, case, own, other


def _params(predicate):
    return [pytest.param(n, id=n) for n, c in sorted(ENTRIES.items()) if predicate(c)]


@pytest.mark.django_db
@pytest.mark.parametrize("setup", _params(lambda c: not c.public), indirect=True)
def test_anonymous_is_refused(client, setup):
    name, case, own, other = setup
    method = "GET" if case.get else case.writes[0] if case.writes else "POST"
    response = _call(client, method, case.url(own))
    if case.kind == "api":
        assert response.status_code == 401, name
    else:
        assert response.status_code == 302, name
        assert "/accounts/login/" in response.url, name


@pytest.fixture
def other_county_reviewer(db):
    """A reviewer of a second county: the whole first county is another area to them."""
    from tests.factories import UserFactory, area

    county = area("141125000000", "邻县")
    return UserFactory(username="other_county", role="county_reviewer", area=county)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "setup", _params(lambda c: c.objects is not None and c.area_scoped), indirect=True
)
def test_other_townships_object_is_404(client, setup, township_user, other_county_reviewer):
    name, case, own, other = setup
    methods = (["GET"] if case.get else []) + list(case.writes)
    assert methods, name
    for method in methods:
        client.force_login(township_user)
        response = _call(client, method, case.url(other))
        if response.status_code == 403:
            # Township staff may not do this anywhere (a 403 that tells nothing about the
            # object); the area rule is then shown by a county user of another county.
            client.force_login(other_county_reviewer)
            response = _call(client, method, case.url(own))
        assert response.status_code == 404, f"{name} {method} → {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "setup", _params(lambda c: c.writes and not c.official_may_write), indirect=True
)
def test_official_cannot_write(client, setup, official):
    name, case, own, other = setup
    client.force_login(official)
    for method in case.writes:
        response = _call(client, method, case.url(own))
        assert response.status_code == 403, f"{name} {method} → {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("setup", _params(lambda c: c.get and c.reader), indirect=True)
def test_right_role_can_read(client, setup, request):
    name, case, own, other = setup
    user = request.getfixturevalue(case.reader)
    client.force_login(user)
    response = client.get(case.url(own))
    assert 200 <= response.status_code < 300, f"{name} → {response.status_code}"


# --- Issue 17: city and province users read their counties and change none of their work -----

# What the levels above the county may write: targets, spot checks, accounts of the level
# below, the close-out of what they raised, and downloads started by POST.
HIGHER_MAY_WRITE = {
    "reports:target_set",
    "rectification:spotcheck_draw",
    "rectification:spotcheck_entry",
    "rectification:spotcheck_finish",
    "rectification:item_close",
    "rectification:item_reopen",
    "accounts:staff_create",
    "accounts:staff_edit",
    "accounts:staff_password",
}


@pytest.fixture
def higher_users(city_reviewer, city_official, province_reviewer, province_official):
    return [city_reviewer, city_official, province_reviewer, province_official]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "setup",
    _params(lambda c: c.writes and not c.official_may_write),
    indirect=True,
)
def test_city_and_province_users_cannot_write_county_work(client, setup, higher_users):
    name, case, own, other = setup
    if name in HIGHER_MAY_WRITE:
        pytest.skip("a write of the levels above (tested in its own module)")
    for user in higher_users:
        client.force_login(user)
        for method in case.writes:
            response = _call(client, method, case.url(own))
            assert response.status_code == 403, (
                f"{name} {method} as {user.role} → {response.status_code}"
            )


@pytest.mark.django_db
@pytest.mark.parametrize("setup", _params(lambda c: c.get and c.reader), indirect=True)
def test_city_official_reads_or_is_refused_never_an_error(client, setup, city_official):
    """Every page and endpoint answers a city official with a page or a clear 403: the
    county's objects are inside the city (never a 404), nothing breaks (never a 500)."""
    name, case, own, other = setup
    client.force_login(city_official)
    response = client.get(case.url(own))
    allowed = {403} | OTHER_ANSWERS.get(name, set())
    assert response.status_code < 300 or response.status_code in allowed, (
        f"{name} → {response.status_code}"
    )


# An export job is its owner's alone (404 for everyone else); the calculator works for one
# county's standards and tells a city user so (400, "市、省级账号不属于某一个县").
OTHER_ANSWERS = {
    "export-detail": {404},
    "export-download": {404},
    "export-status": {404},
    "subsidy-calculate-list": {400},
}
