"""The item transition table walked for every status × item level × role: button ⇔ page ⇔ API.

For each state of an item (of a township, or of the county itself) and each role: the item
page shows an action exactly when its page takes the POST (not a 403/404, not sent back
with an error) and exactly when the API does not refuse it (403 role, 404 area, 409 status).
Each request runs in a savepoint that is rolled back, so one item serves the whole case.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.contrib.messages import constants, get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from rectification import services
from rectification.models import ItemStatus, RectificationStage
from rectification.steps import STEPS, allowed_actions
from tests.factories import UserFactory
from tests.rectification.factories import ItemFactory, jpeg_upload

ROLE_AREAS = {
    Role.COUNTY_REVIEWER: "county",
    Role.COUNTY_APPROVER: "county",
    Role.TOWNSHIP_STAFF: "township",
    Role.VILLAGE_CLERK: "village",
    Role.OFFICIAL: "county",
}
# step → (page URL name, the object its URL names, POST data that a taken step accepts)
PAGES = {
    "edit": ("rectification:item_edit", "item", {}),
    "note": ("rectification:item_note", "item", {"content": "已拆除旧房"}),
    "stage": ("rectification:stage_done", "stage", {}),
    "submit": ("rectification:item_submit", "item", {}),
    "close": ("rectification:item_close", "item", {"note": "核实"}),
    "reopen": ("rectification:item_reopen", "item", {"reason": "佐证不足"}),
}
# step → (method, API path suffix, body)
APIS = {
    "edit": ("patch", "", {"remarks": "备注"}),
    "start": ("post", "start/", {}),
    "note": ("post", "note/", {"content": "已拆除旧房"}),
    "submit": ("post", "submit/", {}),
    "close": ("post", "close/", {"note": "核实"}),
    "reopen": ("post", "reopen/", {"reason": "佐证不足"}),
}


class _Undo(Exception):
    pass


@contextlib.contextmanager
def _undone():
    with contextlib.suppress(_Undo), transaction.atomic():
        yield
        raise _Undo


def _item_at(areas, status: str, level: str):
    """An item of `level` brought to `status` through the services, as users would."""
    reviewer = UserFactory(username="walk_helper", role=Role.COUNTY_REVIEWER, area=areas["county"])
    approver = UserFactory(username="walk_helper2", role=Role.COUNTY_APPROVER, area=areas["county"])
    item = ItemFactory(area=areas[level], created_by=reviewer)
    stage = RectificationStage.objects.create(
        item=item, goal="拆除旧房", due_on=dt.date(2026, 12, 1)
    )
    if status != ItemStatus.OPEN:
        services.note_add(item=item, by=reviewer, content="进展", files=[jpeg_upload()])
    if status in (ItemStatus.SUBMITTED, ItemStatus.CLOSED):
        services.item_submit(item=item, by=reviewer)
    if status == ItemStatus.CLOSED:
        services.item_close(item=item, by=approver)
    item.refresh_from_db()
    assert item.status == status
    return item, stage


def _shown(html: str, item, stage) -> set[str]:
    shown = {
        name
        for name, (url_name, target, _) in PAGES.items()
        if reverse(url_name, args=[(stage if target == "stage" else item).pk]) in html
    }
    return shown


def _page_takes(client: Client, item, stage, name: str) -> bool:
    url_name, target, data = PAGES[name]
    url = reverse(url_name, args=[(stage if target == "stage" else item).pk])
    client.cookies.pop("messages", None)  # only this request's messages count
    with _undone():
        response = client.post(url, data)
        if response.status_code in (403, 404):
            return False
        if response.status_code == 302:
            levels = {m.level for m in get_messages(response.wsgi_request)}
            return constants.ERROR not in levels
        assert response.status_code == 200, (name, response.status_code)
        return True


def _api_takes(api: APIClient, item, name: str) -> bool:
    method, suffix, body = APIS[name]
    with _undone():
        response = getattr(api, method)(
            f"/api/rectification-items/{item.pk}/{suffix}", body, format="json"
        )
        assert response.status_code < 500, (name, response.status_code)
        return response.status_code not in (403, 404, 409)


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(ItemStatus))
@pytest.mark.parametrize("level", ["township", "county"])
def test_page_and_api_agree_with_the_buttons(areas, status, level):
    item, stage = _item_at(areas, status, level)
    mismatches = []
    for role, where in ROLE_AREAS.items():
        user = UserFactory(username=f"walk_{role}", role=role, area=areas[where])
        page, api = Client(), APIClient()
        page.force_login(user)
        api.force_authenticate(user)
        detail = page.get(item.get_absolute_url())
        html = detail.content.decode() if detail.status_code == 200 else ""
        allowed = {s.name for s in allowed_actions(item, user)} if html else set()
        for name in STEPS:
            verdicts = {"table": name in allowed}
            if name in PAGES:
                verdicts["button"] = name in _shown(html, item, stage)
                verdicts["page"] = _page_takes(page, item, stage, name)
            if name in APIS:
                verdicts["api"] = _api_takes(api, item, name)
            if len(set(verdicts.values())) != 1:
                mismatches.append((status, level, role, name, verdicts))
    assert not mismatches, mismatches
