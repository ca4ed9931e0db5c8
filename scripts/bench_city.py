#!/usr/bin/env python
"""Benchmark of the city's pages over two synthetic counties, beside a county's (issue 17).

Builds two counties of N households each (`generate_synthetic`, default 100,000 each) under
one city in a throw-away database, then times the pages a city reviewer reads (dashboard,
household list, ledger, targets, the counties' ranking) and the same pages for a reviewer of
one county, median and 95th percentile of a few requests each, through Django's test client:

    .venv/bin/python scripts/bench_city.py [--households 100000] [--runs 7] [--no-write]

Writes the figures into docs/PERFORMANCE.md between `<!-- bench:city -->` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "scripts"))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["ANJU_TEST_DB_NAME"] = os.environ.get("ANJU_BENCH_DB_NAME", "anju_bench_city")

REPORT = BASE_DIR / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench:city -->", "<!-- /bench:city -->"
PROVINCE, CITY = "140000000000", "149900000000"
COUNTIES = ("149901", "149902")
PAGES = {
    "home (dashboard)": "/",
    "household list": "/households/",
    "ledger": "/inspections/ledger/",
    "annual targets": "/reports/targets/",
}


def build(households: int) -> None:
    from django.core.management import call_command

    from accounts.models import Area

    province = Area.objects.create(code=PROVINCE, name="山西省", level="province")
    Area.objects.create(code=CITY, name="基准市", level="city", parent=province)
    for n, code in enumerate(COUNTIES):
        call_command(
            "generate_synthetic",
            households=households,
            seed=n + 1,
            county_code=code,
            county_name=f"基准县{n + 1}",
            verbosity=0,
        )
    Area.objects.filter(code__in=[c + "000000" for c in COUNTIES]).update(parent_id=CITY)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def time_pages(runs: int) -> dict[str, dict[str, tuple[float, float]]]:
    from django.test import Client

    from accounts.models import Area, Role, User

    users = {
        "county reviewer (one county)": User.objects.create(
            username="bench_county", role=Role.COUNTY_REVIEWER, area_id=COUNTIES[0] + "000000"
        ),
        "city reviewer (both counties)": User.objects.create(
            username="bench_city", role=Role.CITY_REVIEWER, area=Area.objects.get(pk=CITY)
        ),
    }
    pages = dict(PAGES)
    result: dict[str, dict[str, tuple[float, float]]] = {}
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        mine = pages | ({"counties' ranking": "/reports/rollup/"} if user.is_higher else {})
        for page, url in mine.items():
            client.get(url)  # warm
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{url} as {who}: HTTP {response.status_code}")
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            result.setdefault(page, {})[who] = (statistics.median(times), p95)
    return result


def write_report(households: int, runs: int, pages: dict, info: dict, load) -> None:
    now = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    who = ["county reviewer (one county)", "city reviewer (both counties)"]
    lines = [
        START,
        "## A city of two counties (`scripts/bench_city.py`)",
        "",
        f"Measured {now:%Y-%m-%d %H:%M} CST: two synthetic counties of {households:,} households"
        f" each under one city (households and members only), ANALYZE after loading; median /"
        f" 95th percentile of {runs} requests per page after one warm-up, Django's test client in"
        " the same process (DEBUG off).",
        "",
        "| page | " + " | ".join(who) + " | city / county (median) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for page, times in pages.items():
        cells = [
            f"{times[w][0] * 1000:.0f} / {times[w][1] * 1000:.0f} ms" if w in times else "—"
            for w in who
        ]
        ratio = (
            f"{times[who[1]][0] / times[who[0]][0]:.1f}×" if all(w in times for w in who) else "—"
        )
        lines.append(f"| {page} | " + " | ".join(cells) + f" | {ratio} |")
    lines += [
        "",
        f"Load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f} (the machine is"
        " shared with other test runs: a load above the core count makes every figure an upper"
        " bound).",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
        "",
        "Re-run: `.venv/bin/python scripts/bench_city.py` (creates and drops `anju_bench_city`).",
        END,
    ]
    section = "\n".join(lines)
    text = REPORT.read_text()
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    REPORT.write_text(text)
    print(f"wrote {REPORT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from bench_synthetic import machine
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        info = machine()
        build(args.households)
        load_before = os.getloadavg()
        pages = time_pages(args.runs)
        load = (load_before[0], os.getloadavg()[0])
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    for page, times in pages.items():
        print(page, {w: f"{m * 1000:.0f}/{p * 1000:.0f} ms" for w, (m, p) in times.items()})
    if not args.no_write:
        write_report(args.households, args.runs, pages, info, load)


if __name__ == "__main__":
    main()
