"""The bell, the alert list and the home page's alerts: scoped, filtered, cheap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import Alert, AlertType

pytestmark = pytest.mark.django_db


def _alert(area, type_=AlertType.D_OCCUPIED, key="x", status="open", label="对象"):
    now = timezone.now()
    return Alert.objects.create(
        type=type_,
        object_key=key,
        object_label=label,
        area=area,
        due_on=dt.date(2026, 11, 1),
        days_overdue=5,
        status=status,
        opened_at=now,
        last_seen_at=now,
        closed_at=now if status == "closed" else None,
    )


@pytest.fixture
def alerts(areas):
    return [
        _alert(areas["village"], key="a", label="东村张三"),
        _alert(areas["township"], AlertType.RECTIFICATION_OVERDUE, key="b", label="临泉镇整改"),
        _alert(areas["other_village"], key="c", label="南村李四"),
        _alert(areas["village"], key="d", status="closed", label="已解除的"),
        _alert(areas["county"], AlertType.REVIEW_CAMPAIGN_DUE, key="e", label="全县回头看"),
    ]


def test_bell_counts_open_alerts_of_the_users_area(
    client, alerts, township_user, other_township_user, county_reviewer
):
    for user, count in [(township_user, "2"), (other_township_user, "1"), (county_reviewer, "4")]:
        client.force_login(user)
        page = client.get(reverse("reports:alert_list")).content.decode()
        assert f'id="alert-count">{count}<' in page, user


def test_bell_costs_one_query(client, alerts, township_user, django_assert_num_queries):
    from django.template import RequestContext, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = township_user
    template = Template("{{ open_alert_count }}")
    township_user.area  # noqa: B018 (loaded by the page already)
    with django_assert_num_queries(1):
        assert template.render(RequestContext(request)) == "2"


def test_alert_list_is_scoped_and_filtered(client, alerts, township_user):
    client.force_login(township_user)
    page = client.get(reverse("reports:alert_list")).content.decode()
    assert "东村张三" in page and "临泉镇整改" in page
    assert "南村李四" not in page and "已解除的" not in page and "全县回头看" not in page
    page = client.get(
        reverse("reports:alert_list"), {"type": "rectification_overdue"}
    ).content.decode()
    assert "临泉镇整改" in page and "东村张三" not in page
    page = client.get(reverse("reports:alert_list"), {"status": "closed"}).content.decode()
    assert "已解除的" in page and "东村张三" not in page
    assert client.get(reverse("reports:alert_list"), {"type": "nope"}).status_code == 404


def test_alert_list_query_count_is_flat(
    client, areas, township_user, django_assert_max_num_queries
):
    for i in range(30):
        _alert(areas["village"], key=f"k{i}")
    client.force_login(township_user)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("reports:alert_list")).status_code == 200


def test_home_page_shows_my_alerts(client, alerts, township_user):
    client.force_login(township_user)
    page = client.get(reverse("home")).content.decode()
    assert 'id="my-alerts"' in page and "东村张三" in page and "南村李四" not in page


def test_alert_api_is_scoped_and_read_only(api_client, alerts, township_user):
    api_client.force_authenticate(township_user)
    data = api_client.get("/api/alerts/", {"status": "open"}).json()
    assert sorted(r["object_label"] for r in data["results"]) == ["东村张三", "临泉镇整改"]
    other = alerts[2]
    assert api_client.get(f"/api/alerts/{other.pk}/").status_code == 404
    assert api_client.post("/api/alerts/", {}, format="json").status_code == 405


def test_bell_and_my_alerts_hold_what_the_role_answers_for(
    client, alerts, areas, county_approver, village_clerk, official
):
    _alert(areas["village"], AlertType.PAYOUT_OVERDUE, key="p", label="东村王五拨付")
    expected = {
        # the approver confirms payments; the village committee answers for its village's
        # occupied D-level house; the read-only official answers for nothing
        county_approver: ("1", ["东村王五拨付"]),
        village_clerk: ("1", ["东村张三"]),
        official: (None, []),
    }
    for user, (count, labels) in expected.items():
        client.force_login(user)
        home = client.get(reverse("home"))
        page = home.content.decode()
        if count is None:
            assert 'id="alert-count"' not in page
        else:
            assert f'id="alert-count">{count}<' in page, user
        assert [a.object_label for a in home.context["my_alerts"]] == labels, user
    # Seeing is wider than answering: the list shows every alert of the area.
    client.force_login(official)
    page = client.get(reverse("reports:alert_list")).content.decode()
    assert "东村王五拨付" in page and "东村张三" in page and "南村李四" in page
