"""#18 point 6: the app behind PgBouncer in transaction mode (Debian's pgbouncer, started here).

An app server whose DATABASE_URL is the bouncer, with server-side cursors off
(DB_DISABLE_SERVER_SIDE_CURSORS=1) and a pool of 4 server connections: lists, the dashboard,
a write with a photo and its audit event (the acting user travels with each transaction, never
as session state), and a background export that streams its rows.
"""

from __future__ import annotations

import pytest
from pghistory.models import Events

from accounts.tokens import issue
from core.models import ExportJob
from inspections.models import InspectionRecord
from tests.factories import HouseholdFactory
from tests.hosts import servers
from tests.inspections.factories import jpeg_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.hosts]


@pytest.fixture(scope="module")
def behind_bouncer(tmp_path_factory, django_db_setup):
    with servers.pgbouncer() as port:
        url = servers.database_url(port=port)
        with servers.app_server(
            tmp_path_factory.mktemp("bounced-host"),
            "app",
            DATABASE_URL=url,
            DB_DISABLE_SERVER_SIDE_CURSORS="1",
            DB_CONN_MAX_AGE="60",
        ) as host:
            yield host


def test_the_app_works_behind_pgbouncer_in_transaction_mode(
    behind_bouncer, areas, township_user, county_reviewer
):
    host = behind_bouncer
    households = [HouseholdFactory(village=areas["village"]) for _ in range(30)]
    _, token = issue(township_user)
    auth = {"Authorization": f"Token {token}"}
    for _ in range(3):  # more requests than the pool has server connections
        listed = servers.http(host.url + "/api/households/?page_size=10", headers=auth)
        assert listed.status == 200, listed.body[:300]
        assert len(listed.json()["results"]) == 10
    body, content_type = servers.multipart(
        {
            "household": str(households[0].pk),
            "inspected_on": "2026-11-22",
            "occupied": "true",
            "findings": "墙体开裂",
        },
        [("photo_files", "a.jpg", jpeg_bytes(), "image/jpeg")],
    )
    created = servers.http(
        host.url + "/api/inspections/",
        method="POST",
        data=body,
        headers={"Content-Type": content_type, **auth},
    )
    assert created.status == 201, created.body[:300]
    record = InspectionRecord.objects.get(pk=created.json()["id"])
    events = Events.objects.references(record).filter(pgh_model__endswith="InspectionRecordEvent")
    assert [e.pgh_context["user"] for e in events] == [township_user.pk]

    cookie = servers.session_cookie(county_reviewer)
    assert servers.http(host.url + "/", headers={"Cookie": cookie}).status == 200
    csrf = "a" * 32
    started = servers.http(
        host.url + "/exports/households/start/",
        method="POST",
        data=b"",
        headers={
            "Cookie": f"{cookie}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert started.status == 302, started.body[:300]
    job = ExportJob.objects.get(created_by=county_reviewer)
    assert job.status == ExportJob.Status.DONE, job.message
