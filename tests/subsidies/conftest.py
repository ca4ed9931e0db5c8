from __future__ import annotations

import datetime as dt

import pytest
import time_machine

TODAY = dt.datetime(2026, 12, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _frozen_today():
    """Every subsidies test runs on Thursday 2026-12-10 (Beijing time) unless it travels."""
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller
