"""Filters say 全部 for "no filter", and a yes/no filter starts there (not at 未知)."""

from __future__ import annotations

import re

from django.urls import reverse


def _select(page: str, name: str) -> str:
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert match, name
    return match.group(1)


def test_rectification_overdue_filter_starts_at_all(client, county_reviewer):
    client.force_login(county_reviewer)
    page = client.get(reverse("rectification:item_list")).content.decode()
    overdue = _select(page, "overdue")
    assert re.search(r'<option value="" selected>全部</option>', overdue), overdue
    assert "未知" not in page and "---------" not in page
    assert ">全部<" in _select(page, "status")


def test_overdue_yes_stays_selected(client, county_reviewer):
    client.force_login(county_reviewer)
    page = client.get(reverse("rectification:item_list"), {"overdue": "true"}).content.decode()
    assert '<option value="true" selected>是</option>' in _select(page, "overdue")


def test_household_list_choices_say_all(client, county_reviewer):
    client.force_login(county_reviewer)
    page = client.get(reverse("households:list")).content.decode()
    assert "---------" not in page and "未知" not in page
