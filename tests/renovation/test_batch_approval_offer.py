"""Batch approval offers only the projects that can be approved; a refused row says why in
words that fit its status."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from renovation.models import ProjectStatus as S
from tests.factories import HouseholdFactory
from tests.renovation.factories import make_project

pytestmark = pytest.mark.django_db


def _new(areas, name, status):
    return make_project(HouseholdFactory(village=areas["village"], head_name=name), status)


def test_only_approvable_rows_have_a_checkbox(client, areas, county_approver):
    ready = _new(areas, "钱一", S.PUBLICITY)
    closed = _new(areas, "郑六", S.CLOSED)
    client.force_login(county_approver)
    page = client.get(reverse("renovation:list")).content.decode()
    assert f'name="ids" value="{ready.pk}"' in page
    assert f'name="ids" value="{closed.pk}"' not in page


def test_refused_rows_say_why_by_status(client, areas, county_approver):
    ready = _new(areas, "钱一", S.PUBLICITY)
    closed = _new(areas, "郑六", S.CLOSED)
    approved = _new(areas, "王七", S.APPROVED)
    early = _new(areas, "赵八", S.TOWNSHIP_REVIEWED)
    client.force_login(county_approver)
    response = client.post(
        reverse("renovation:approve_batch"), {"ids": [ready.pk, closed.pk, approved.pk, early.pk]}
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "郑六：已销号，无需再批准" in texts
    assert any(t.startswith("王七：已批准过") for t in texts)
    assert any(t.startswith("赵八：尚未公示（当前：乡镇初审通过）") for t in texts)
    ready.refresh_from_db()
    assert ready.status == S.PUBLICITY  # all or nothing
