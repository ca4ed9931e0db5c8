#!/usr/bin/env python
"""A bounded load test of a campaign week (issue 18 point 7) against 127.0.0.1 only.

Builds a throw-away database (`anju_load_campaign`, Django's test-database machinery, dropped
at the end) with `generate_synthetic`, starts gunicorn (2 workers, DEBUG off) and, when Redis
answers, a Celery worker on both queues, then lets `--users` virtual users work for
`--duration` seconds (at most 900) or `--max-requests` requests, whichever ends first:

    .venv/bin/python scripts/load_campaign.py [--households 20000] [--users 20] [--duration 60]

The mix (per virtual user, weighted): API household list (first page, a middle page, a name
search), household detail (API), the household list page, the dashboard, the ledger page, an
inspection with a photo (API, multipart) and a background export (start + poll). Township staff
are 70 % of the users, county reviewers 30 %. Virtual users are asyncio tasks; each request
runs in a bounded thread pool (one thread per user) with the standard library's HTTP client.

Prints p50/p95/max and errors per endpoint and writes them, with the machine and its load,
into docs/PERFORMANCE.md between `<!-- bench:load -->` markers.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["ANJU_TEST_DB_NAME"] = os.environ.get("ANJU_LOAD_DB_NAME", "anju_load_campaign")

REPORT = BASE_DIR / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench:load -->", "<!-- /bench:load -->"
COUNTY = "149902"
MAX_DURATION = 900
BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/14"


def setup_data(households: int) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import Area, AreaLevel, Role, User
    from accounts.tokens import issue
    from households.models import Household

    call_command("generate_synthetic", households=households, seed=7, county_code=COUNTY)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    county = Area.objects.get(code=COUNTY + "000000")
    townships = list(Area.objects.filter(parent=county, level=AreaLevel.TOWNSHIP).order_by("code"))
    people = []

    def person(username, role, area):
        user = User.objects.create(username=username, role=role, area=area, full_name=username)
        client = Client()
        client.force_login(user)
        _, token = issue(user)
        ids = list(Household.objects.in_area(area).values_list("pk", flat=True)[:300])
        names = list(
            Household.objects.in_area(area)
            .filter(pk__in=ids[:50])
            .values_list("head_name", flat=True)
        )
        return {
            "role": "county" if role == Role.COUNTY_REVIEWER else "township",
            "token": token,
            "cookie": f"sessionid={client.cookies['sessionid'].value}",
            "ids": ids,
            "names": [n[:1] for n in names if n],
        }

    for index, township in enumerate(townships[:10]):
        people.append(person(f"load_township_{index}", Role.TOWNSHIP_STAFF, township))
    for index in range(3):
        people.append(person(f"load_county_{index}", Role.COUNTY_REVIEWER, county))
    return {"people": people, "townships": len(townships)}


def _redis_up() -> bool:
    import socket

    host_port = BROKER.split("//", 1)[1].split("/", 1)[0].split("@")[-1]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


def start_servers(workdir: Path, database_url: str, port: int, use_worker: bool):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ANJU_TESTING": "1",
        "DATABASE_URL": database_url,
        "ANJU_DATA_DIR": str(workdir),
        "MEDIA_ROOT": str(workdir / "media"),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "AXES_ENABLED": "0",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": BROKER if use_worker else "",
        "CELERY_RESULT_BACKEND": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": str(workdir / "access.log"),
    }
    procs = [
        subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=(workdir / "gunicorn.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ]
    if use_worker:
        procs.append(
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    "quick,heavy",
                    "--without-heartbeat",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=(workdir / "worker.log").open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return procs


def _photo() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (150, 90, 60)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class Campaign:
    def __init__(self, base: str, people: list[dict], photo: bytes):
        from tests.hosts.servers import http, multipart

        self.base, self.people, self.photo = base, people, photo
        self.http, self.multipart = http, multipart
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.exports_started: list[tuple[str, str]] = []

    def _call(self, label, path, *, expect=(200,), **kwargs):
        started = time.perf_counter()
        try:
            reply = self.http(self.base + path, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a refused connection is an error to count
            self.errors[label].append(repr(exc)[:120])
            return None
        self.times[label].append(time.perf_counter() - started)
        if reply.status not in expect:
            self.errors[label].append(f"{reply.status} {path}")
        return reply

    def one_action(self, who: dict, rng: random.Random) -> None:
        api = {"Authorization": f"Token {who['token']}"}
        page = {"Cookie": who["cookie"]}
        actions = [
            (
                25,
                "API list, first page",
                lambda: self._call("API list, first page", "/api/households/", headers=api),
            ),
            (
                8,
                "API list, middle page",
                lambda: self._call(
                    "API list, middle page",
                    f"/api/households/?page={rng.randint(2, 20)}",
                    headers=api,
                    expect=(200, 404),
                ),
            ),
            (
                8,
                "API name search",
                lambda: self._call(
                    "API name search",
                    f"/api/households/?search={_quote(rng.choice(who['names'] or ['张']))}",
                    headers=api,
                ),
            ),
            (
                18,
                "API household detail",
                lambda: self._call(
                    "API household detail",
                    f"/api/households/{rng.choice(who['ids'])}/",
                    headers=api,
                ),
            ),
            (
                10,
                "household list page",
                lambda: self._call("household list page", "/households/", headers=page),
            ),
            (10, "dashboard", lambda: self._call("dashboard", "/", headers=page)),
            (
                5,
                "ledger page",
                lambda: self._call("ledger page", "/inspections/ledger/", headers=page),
            ),
            (12, "inspection with photo", lambda: self._inspect(who, rng, api)),
            (4, "export start", lambda: self._export(who, page)),
        ]
        weights = [w for w, _, _ in actions]
        _, _, act = rng.choices(actions, weights=weights)[0]
        act()

    def _inspect(self, who, rng, api):
        from django.utils import timezone

        if who["role"] != "township":
            return self._call("API list, first page", "/api/households/", headers=api)
        body, content_type = self.multipart(
            {
                "household": str(rng.choice(who["ids"])),
                "inspected_on": timezone.localdate().isoformat(),
                "occupied": "true",
                "findings": "回头看：墙体无新增裂缝",
            },
            [("photo_files", "现场.jpg", self.photo, "image/jpeg")],
        )
        return self._call(
            "inspection with photo",
            "/api/inspections/",
            method="POST",
            data=body,
            headers={"Content-Type": content_type, **api},
            expect=(201,),
        )

    def _export(self, who, page):
        csrf = "c" * 32
        reply = self._call(
            "export start",
            "/exports/households/start/",
            method="POST",
            data=b"",
            headers={
                "Cookie": f"{who['cookie']}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            expect=(302,),
        )
        if reply is not None and reply.status == 302:
            self.exports_started.append((who["cookie"], reply.headers.get("Location", "")))


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


async def run_load(campaign: Campaign, users: int, duration: float, max_requests: int) -> dict:
    loop = asyncio.get_running_loop()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=users)
    deadline = time.monotonic() + duration
    done = 0

    async def virtual_user(index: int):
        nonlocal done
        rng = random.Random(index)  # noqa: S311 - a load mix, not a secret
        township = [p for p in campaign.people if p["role"] == "township"]
        county = [p for p in campaign.people if p["role"] == "county"]
        who = rng.choice(county if index % 10 < 3 else township)
        while time.monotonic() < deadline and done < max_requests:
            done += 1
            await loop.run_in_executor(pool, campaign.one_action, who, rng)
            await asyncio.sleep(rng.uniform(0.2, 1.0))  # think time of a person clicking

    started = time.monotonic()
    await asyncio.gather(*(virtual_user(i) for i in range(users)))
    pool.shutdown(wait=True)
    return {"elapsed": time.monotonic() - started, "actions": done}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(campaign: Campaign, meta: dict, write: bool) -> None:
    lines = [
        "| endpoint | requests | errors | p50 | p95 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    total = errors = 0
    for label in sorted(set(campaign.times) | set(campaign.errors)):
        times = campaign.times.get(label, [])
        errs = len(campaign.errors.get(label, []))
        total += len(times)
        errors += errs
        if times:
            p50, p95, top = (_pct(times, 0.5), _pct(times, 0.95), max(times))
            cells = f"{p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms | {top * 1000:.0f} ms"
        else:
            cells = "– | – | –"
        lines.append(f"| {label} | {len(times)} | {errs} | {cells} |")
    table = "\n".join(lines)
    print(table)
    for label, errs in campaign.errors.items():
        print(f"errors of {label}: {errs[:5]}")
    rate = total / meta["elapsed"] if meta["elapsed"] else 0
    text = (
        f"{START}\n## Campaign load (`scripts/load_campaign.py`)\n\n"
        f"Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {meta['users']} virtual "
        f"users for {meta['elapsed']:.0f} s against gunicorn (2 workers, DEBUG off) on "
        f"127.0.0.1, on a synthetic county of {meta['households']:,} households "
        f"({meta['townships']} townships); exports {meta['exports']}. "
        f"{total:,} requests ({rate:.1f}/s), {errors} errors; "
        f"{meta['exports_done']} of {meta['exports_started']} exports finished by the end. "
        "Think time 0.2–1 s between a user's requests; 70 % township staff, 30 % county "
        "reviewers.\n\n"
        f"{table}\n\n"
        f"Machine: {meta['machine']}; load average {meta['load'][0]:.2f} before, "
        f"{meta['load'][1]:.2f} after (the load generator runs on the same 2 cores as the "
        "server and the database: figures are upper bounds).\n\n"
        "Re-run: `.venv/bin/python scripts/load_campaign.py --households 20000 --users 20 "
        "--duration 60` (creates and drops the database `anju_load_campaign`).\n"
        f"{END}"
    )
    if write:
        current = REPORT.read_text() if REPORT.exists() else "# Performance\n"
        if START in current and END in current:
            head, rest = current.split(START, 1)
            current = head + text + rest.split(END, 1)[1]
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        REPORT.write_text(current)
        print(f"written to {REPORT.relative_to(BASE_DIR)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--no-write", action="store_true", help="print, do not touch docs/")
    args = parser.parse_args()
    if not 1 <= args.users <= 200:
        parser.error("--users must be 1..200")
    args.duration = min(args.duration, MAX_DURATION)

    import tempfile

    import django

    django.setup()
    from django.db import connection

    from tests.hosts.servers import database_url, free_port, http, stop, wait_until

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    procs = []
    try:
        data = setup_data(args.households)
        workdir = Path(tempfile.mkdtemp(prefix="anju-load-"))
        use_worker = _redis_up()
        port = free_port()
        procs = start_servers(workdir, database_url(), port, use_worker)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http(base + "/accounts/login/").status == 200, timeout=60, what="app")
        campaign = Campaign(base, data["people"], _photo())
        load_before = os.getloadavg()
        meta = asyncio.run(run_load(campaign, args.users, args.duration, args.max_requests))
        load_after = os.getloadavg()
        from core.models import ExportJob

        time.sleep(2)
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?"
            )
        meta |= {
            "users": args.users,
            "households": args.households,
            "townships": data["townships"],
            "exports": "in a Celery worker (Redis)" if use_worker else "eager, in the web process",
            "exports_started": len(campaign.exports_started),
            "exports_done": ExportJob.objects.filter(status=ExportJob.Status.DONE).count(),
            "load": (load_before[0], load_after[0]),
            "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}",
        }
        report(campaign, meta, write=not args.no_write)
    finally:
        for proc in procs:
            stop(proc)
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
