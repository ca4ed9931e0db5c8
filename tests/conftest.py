from __future__ import annotations

import os

import pytest

from accounts.models import Role
from tests.factories import HouseholdFactory, UserFactory, build_county

# The ORM is used from tests that also drive a browser through Playwright's sync API.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "Anju-pass-2026"


@pytest.fixture
def areas(db):
    return build_county()


def _user(username, role, area):
    return UserFactory(username=username, role=role, area=area, full_name=username)


@pytest.fixture
def county_reviewer(areas):
    return _user("reviewer", Role.COUNTY_REVIEWER, areas["county"])


@pytest.fixture
def county_approver(areas):
    return _user("approver", Role.COUNTY_APPROVER, areas["county"])


@pytest.fixture
def township_user(areas):
    return _user("township_a", Role.TOWNSHIP_STAFF, areas["township"])


@pytest.fixture
def other_township_user(areas):
    """A user of *another* township: every permission test has one."""
    return _user("township_b", Role.TOWNSHIP_STAFF, areas["other_township"])


@pytest.fixture
def village_clerk(areas):
    return _user("clerk", Role.VILLAGE_CLERK, areas["village"])


@pytest.fixture
def official(areas):
    return _user("official", Role.OFFICIAL, areas["county"])


@pytest.fixture
def household(areas):
    return HouseholdFactory(village=areas["village"], head_name="张三")


@pytest.fixture
def other_household(areas):
    return HouseholdFactory(village=areas["other_village"], head_name="李四")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def page(page):
    """Fail a browser step after 10 s instead of Playwright's 30 s."""
    page.set_default_timeout(10_000)
    return page
