"""#18 point 6: a real streaming replica (pg_basebackup -R of the test server, started here).

Exports, monthly report figures and dashboard aggregates read from the replica; everything
else, and whatever a user has just written, from the primary. To see where a read went, the
replica's replay is paused: a row written on the primary after that exists only there.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import Area
from core import crypto
from core.audit import acting_as
from core.db import REPLICA, reading_replica
from core.models import ExportJob
from core.services import export_start
from households.models import Household
from reports.services import monthly_report_draft
from tests.factories import HouseholdFactory
from tests.hosts import servers

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
    pytest.mark.hosts,
]


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """The replica as the `replica` database of this process, for this module only."""
    with django_db_blocker.unblock(), servers.streaming_replica() as server:
        settings.DATABASES[REPLICA] = server.settings_dict(connection.settings_dict)
        assert connections.settings is settings.DATABASES or REPLICA in connections.settings
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery()")
                assert cursor.fetchone()[0] is True  # a standby, not a copy of the primary
            yield server
        finally:
            connections[REPLICA].close()
            del connections[REPLICA]
            del settings.DATABASES[REPLICA]


def _replica_sql(sql: str, params=()):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0] if cursor.description else None


def _caught_up():
    """Wait until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        lsn = cursor.fetchone()[0]
    servers.wait_until(
        lambda: _replica_sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]),
        timeout=30,
        what="replica replay",
    )


@pytest.fixture
def paused(replica):
    """Replay stopped: what the primary commits now is not on the replica until resumed.
    Request it after the fixtures whose rows the test expects on both."""
    _caught_up()
    _replica_sql("SELECT pg_wal_replay_pause()")
    yield
    _replica_sql("SELECT pg_wal_replay_resume()")


def _resume():
    _replica_sql("SELECT pg_wal_replay_resume()")
    _caught_up()


def test_reads_are_on_the_primary_unless_asked_for_the_replica(areas, paused):
    late = HouseholdFactory(village=areas["village"], head_name="新登记户")
    assert Household.objects.filter(pk=late.pk).exists()  # the default: the primary
    with reading_replica() as on_replica:
        assert on_replica
        assert not Household.objects.filter(pk=late.pk).exists()  # not replayed yet
        assert Area.objects.filter(pk=areas["village"].pk).exists()
    _resume()
    with reading_replica():
        assert Household.objects.filter(pk=late.pk).exists()


def test_what_a_user_just_wrote_is_read_from_the_primary(
    areas, township_user, other_township_user, paused
):
    with acting_as(township_user):  # how every service attributes its writes
        mine = HouseholdFactory(village=areas["village"], head_name="刚录入户")
    with reading_replica(township_user) as on_replica:
        assert not on_replica
        assert Household.objects.filter(pk=mine.pk).exists()
    with reading_replica(other_township_user) as on_replica:
        assert on_replica
        assert not Household.objects.filter(pk=mine.pk).exists()


def test_reads_inside_a_transaction_stay_on_the_primary(areas, paused):
    from django.db import transaction

    late = HouseholdFactory(village=areas["village"])
    with reading_replica(), transaction.atomic():
        assert Household.objects.filter(pk=late.pk).exists()


def _export_names(job: ExportJob) -> set[str]:
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.message
    with job.file.open("rb") as handle:
        content = crypto.decrypt_bytes(handle.read())
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell}


def test_export_reads_the_replica(
    areas, county_reviewer, paused, django_capture_on_commit_callbacks
):
    HouseholdFactory(village=areas["village"], head_name="早已登记户")
    _resume()
    _replica_sql("SELECT pg_wal_replay_pause()")
    HouseholdFactory(village=areas["village"], head_name="尚未同步户")
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = export_start(kind="households", params={}, by=county_reviewer)
    names = _export_names(job)
    assert "早已登记户" in names and "尚未同步户" not in names
    assert any("households_household" in q["sql"] for q in on_replica.captured_queries)


def test_monthly_report_figures_come_from_the_replica(areas, paused):
    HouseholdFactory(village=areas["village"])
    _resume()
    county = areas["county"]
    month = dt.date(2026, 11, 1)
    before = (
        monthly_report_draft(county=county, month=month).rows.get(is_total=True).households_total
    )
    _replica_sql("SELECT pg_wal_replay_pause()")
    HouseholdFactory(village=areas["village"])
    paused_total = (
        monthly_report_draft(county=county, month=month).rows.get(is_total=True).households_total
    )
    assert paused_total == before  # the replica has not seen the new household
    _resume()
    assert monthly_report_draft(county=county, month=month).rows.get(
        is_total=True
    ).households_total == (before + 1)


def test_dashboard_aggregates_from_the_replica_but_not_right_after_a_write(
    client, areas, county_reviewer, paused
):
    HouseholdFactory(village=areas["village"])
    client.force_login(county_reviewer)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get("/").status_code == 200
    assert len(on_replica.captured_queries) > 0
    with acting_as(county_reviewer):
        HouseholdFactory(village=areas["village"])
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get("/").status_code == 200
    assert on_replica.captured_queries == []
