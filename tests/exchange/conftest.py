from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from subsidies import services
from subsidies.services import LineRequest
from tests.factories import HouseholdFactory
from tests.subsidies.factories import accepted_project, batch

TODAY = dt.datetime(2026, 12, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _frozen_today():
    """Every exchange test runs on Thursday 2026-12-10 (Beijing time)."""
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def three_households(areas, household):
    return [
        household,
        HouseholdFactory(village=areas["village2"], head_name="王五", address="3社18号"),
        HouseholdFactory(village=areas["other_village"], head_name="赵六", address=""),
    ]


@pytest.fixture
def submitted_batch(three_households, county_reviewer):
    """A batch of three lines, submitted to the finance bureau."""
    b = batch(county_reviewer)
    amounts = [Decimal("50000"), Decimal("12345.67"), Decimal("20000")]
    services.batch_add_lines(
        batch=b,
        by=county_reviewer,
        items=[
            LineRequest(project=accepted_project(h), amount=a)
            for h, a in zip(three_households, amounts, strict=True)
        ],
    )
    return services.batch_submit(batch=b, by=county_reviewer)


@pytest.fixture
def paid_batch(submitted_batch, county_approver):
    """The submitted batch, paid (date and voucher) by the approver: results come after."""
    from tests.subsidies.factories import voucher

    return services.batch_pay(
        batch=submitted_batch, by=county_approver, paid_on=dt.date(2026, 12, 8), voucher=voucher()
    )
