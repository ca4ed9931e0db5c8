from __future__ import annotations

import contextlib
import logging
import os
import re

import pytest

from accounts.models import Role
from tests.factories import HouseholdFactory, UserFactory, build_city, build_county

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
def city_areas(db):
    """`areas` under a city with a second county, and another city (issue 17)."""
    return build_city()


@pytest.fixture
def city_reviewer(city_areas):
    return _user("city_reviewer", Role.CITY_REVIEWER, city_areas["city"])


@pytest.fixture
def city_official(city_areas):
    return _user("city_official", Role.CITY_OFFICIAL, city_areas["city"])


@pytest.fixture
def province_reviewer(city_areas):
    return _user("province_reviewer", Role.PROVINCE_REVIEWER, city_areas["province"])


@pytest.fixture
def province_official(city_areas):
    return _user("province_official", Role.PROVINCE_OFFICIAL, city_areas["province"])


@pytest.fixture
def other_city_reviewer(city_areas):
    """A reviewer of the *other* city of the province: the first city is another area."""
    return _user("other_city_reviewer", Role.CITY_REVIEWER, city_areas["other_city"])


@pytest.fixture
def county2_reviewer(city_areas):
    return _user("county2_reviewer", Role.COUNTY_REVIEWER, city_areas["county2"])


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


# --- After the suite: no full ID or bank-card number in any log line ---------------------------

_LOG_LINES: list[str] = []


class _CollectLogs(logging.Handler):
    """Keeps every log line the suite emits, as the production handlers would write it."""

    def emit(self, record: logging.LogRecord) -> None:
        # A broken record must not break the suite.
        with contextlib.suppress(Exception):
            _LOG_LINES.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def _collect_log_lines(django_db_setup):
    from core.logging import RedactSensitiveNumbers

    handler = _CollectLogs(level=logging.DEBUG)
    handler.addFilter(RedactSensitiveNumbers())  # the filter every production handler has
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)


def full_numbers_in(text: str) -> list[str]:
    """Valid 18-character national IDs and bank-card-like digit runs found in `text`."""
    from core.validators import id_number_error

    # Standing alone, as core.logging defines it: the digits of a decimal (`1.6269…e-08`, a
    # fuzzed float in a URL) are a measurement, not a number of a person.
    ids = [
        m
        for m in re.findall(r"(?<![0-9.])[0-9]{17}[0-9X](?![0-9]|\.[0-9])", text)
        if not id_number_error(m)
    ]
    cards = re.findall(r"(?<![0-9*.])62[0-9]{14,17}(?![0-9]|\.[0-9])", text)
    return ids + cards


def _numbers_in_log_lines() -> list[tuple[str, str]]:
    return [(line, n) for line in _LOG_LINES for n in full_numbers_in(line)]


def _shown(line: str, number: str) -> str:
    """Where a number was, the number itself cut short."""
    at = line.index(number)
    shown = line[max(0, at - 60) : at] + number[:6] + "…" + line[at + len(number) :][:40]
    return shown.replace("\n", " ")


# Under pytest-xdist each worker scans its own log lines and hands the result to the
# controller (workeroutput), which fails the run and prints it: a worker's exit status and
# output are not the run's.
_WORKER_SCANS: list[dict] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    scan = getattr(node, "workeroutput", {}).get("log_scan")
    if scan:
        _WORKER_SCANS.append(scan)


def pytest_sessionfinish(session, exitstatus):
    found = [_shown(line, number) for line, number in _numbers_in_log_lines()]
    scan = {"lines": len(_LOG_LINES), "found": found[:10], "found_count": len(found)}
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["log_scan"] = scan
        return
    scans = [scan, *_WORKER_SCANS]
    found_count = sum(s["found_count"] for s in scans)
    if found_count:
        session.exitstatus = 1
        print(f"\nFULL NUMBERS IN LOG OUTPUT ({found_count}):")
        for shown in [shown for s in scans for shown in s["found"]][:10]:
            print("  ", shown)
    elif lines := sum(s["lines"] for s in scans):
        print(f"\nlog scan: {lines} log lines, no full ID or bank-card number")


# The longest files start first: under xdist (--dist loadfile) a worker takes a whole file,
# and one of these taken last would leave the other workers idle at the end.
LONGEST_FIRST = (
    "tests/test_form_junk.py",
    "tests/test_download_headers.py",
    "tests/test_crawl.py",
)


def pytest_collection_modifyitems(session, config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the rest keep their collection order
