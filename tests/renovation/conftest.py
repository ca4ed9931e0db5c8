from __future__ import annotations

import datetime as dt

import pytest
import time_machine

TODAY = dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _frozen_today():
    """Every renovation test runs on Wednesday 2026-05-20 (Beijing time) unless it travels."""
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller
