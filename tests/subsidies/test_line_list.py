"""拨付明细: every line reachable through pages, filtered, with the total of the filter."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from subsidies import services
from subsidies.services import LineRequest
from subsidies.views import LineListView
from tests.factories import HouseholdFactory
from tests.subsidies.factories import accepted_project, batch


def _lines(areas, reviewer, amounts):
    b = batch(reviewer)
    items = [
        LineRequest(
            project=accepted_project(
                HouseholdFactory(village=areas["village"], head_name=f"户{i}")
            ),
            amount=Decimal(a),
        )
        for i, a in enumerate(amounts)
    ]
    services.batch_add_lines(batch=b, by=reviewer, items=items)
    return b


def test_lines_are_paginated_not_cut_and_totalled(client, areas, county_reviewer, monkeypatch):
    monkeypatch.setattr(LineListView, "paginate_by", 2)
    _lines(areas, county_reviewer, ["50000", "20000", "3000.50"])
    client.force_login(county_reviewer)
    first = client.get(reverse("subsidies:line_list")).content.decode()
    assert "共 <strong>3</strong> 条" in first and "73,000.50" in first
    assert "第 1 / 2 页" in first
    second = client.get(reverse("subsidies:line_list"), {"page": 2}).content.decode()
    names = [n for n in ("户0", "户1", "户2") if n in first]
    assert len(names) == 2 and all(n not in second for n in names)


def test_lines_filter_by_name_and_total_follows(client, areas, county_reviewer):
    _lines(areas, county_reviewer, ["50000", "20000"])
    client.force_login(county_reviewer)
    page = client.get(reverse("subsidies:line_list"), {"name": "户1"}).content.decode()
    assert "户1" in page and "户0" not in page
    assert "共 <strong>1</strong> 条" in page and "20,000.00" in page
    assert "---------" not in page and ">全部<" in page


def test_township_sees_only_its_lines(client, areas, county_reviewer, other_township_user):
    _lines(areas, county_reviewer, ["50000"])
    client.force_login(other_township_user)
    page = client.get(reverse("subsidies:line_list")).content.decode()
    assert "户0" not in page and "共 <strong>0</strong> 条" in page
