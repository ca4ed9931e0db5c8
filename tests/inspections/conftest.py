from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.inspections.factories import AppraisalFactory, HazardReportFactory

TODAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _frozen_today():
    """Every inspections test runs on Monday 2026-11-23 (Beijing time) unless it travels."""
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def upload_limit(settings):
    settings.ANJU_UPLOAD_MAX_BYTES = 200 * 1024
    return settings.ANJU_UPLOAD_MAX_BYTES


@pytest.fixture
def d_appraisal(household, county_reviewer):
    return AppraisalFactory(
        household=household, level="D", created_by=county_reviewer, appraised_on=dt.date(2026, 8, 1)
    )


@pytest.fixture
def other_appraisal(other_household, county_reviewer):
    return AppraisalFactory(household=other_household, level="D", created_by=county_reviewer)


@pytest.fixture
def hazard(household, village_clerk):
    return HazardReportFactory(household=household, reporter=village_clerk)


@pytest.fixture
def other_hazard(other_household, county_reviewer):
    return HazardReportFactory(household=other_household, reporter=county_reviewer)
