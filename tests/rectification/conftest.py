from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from rectification import services
from tests.rectification.factories import ItemFactory, jpeg_upload

TODAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _frozen_today(request):
    """Rectification tests run on Monday 2026-11-23 (Beijing time); browser tests on real time."""
    if request.node.get_closest_marker("browser"):
        yield None
        return
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def item(areas, county_reviewer):
    """An item of the first township (visible to its staff, not to the other township)."""
    return ItemFactory(area=areas["township"], created_by=county_reviewer)


@pytest.fixture
def county_item(areas, county_reviewer):
    return ItemFactory(area=areas["county"], created_by=county_reviewer, title="县级问题")


@pytest.fixture
def other_item(areas, county_reviewer):
    return ItemFactory(area=areas["other_township"], created_by=county_reviewer, title="白文镇问题")


@pytest.fixture
def submitted_item(item, township_user):
    services.note_add(item=item, by=township_user, content="已拆除旧房", files=[jpeg_upload()])
    return services.item_submit(item=item, by=township_user)
