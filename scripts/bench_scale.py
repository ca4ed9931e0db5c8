#!/usr/bin/env python
"""Lists and exports at a province's scale: N synthetic households, then p50/p95 per request.

Runs in a throw-away database (`anju_bench_scale` on the embedded server, or on
DATABASE_URL), created with Django's test-database machinery and dropped at the end:

    nice .venv/bin/python scripts/bench_scale.py [--households 100000] [--counties 1]
        [--runs 20] [--no-write]

1. builds the households with `generate_synthetic --appraisals` (COPY, ANALYZE at the end);
2. times the list API and pages (first page, a middle page, a name search, filters) and the
   ledger page as a county reviewer and a township user, through Django's test client in
   this process with DEBUG off, and prints `EXPLAIN ANALYZE` of each list's main query;
3. times the registry and ledger exports and, in the same run on the same rows, the raw
   writers (pyexcelerate, xlsxwriter constant_memory, openpyxl write-only), with the ratio.

Writes the figures into docs/PERFORMANCE.md between `<!-- bench:scale -->` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "scripts"))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["ANJU_TEST_DB_NAME"] = os.environ.get("ANJU_BENCH_DB_NAME", "anju_bench_scale")

REPORT = BASE_DIR / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench:scale -->", "<!-- /bench:scale -->"
COUNTY = "149901"
NOTE = (
    "Read the request times against the plans below: the list's own SQL is its `Execution "
    "Time` (an index range in list order for first pages and filters, bitmap scans for the "
    "searches); the rest of a request is Python (serializers, templates, session) and the "
    "machine's load. Middle pages still pay the OFFSET (the index walked up to the page). The"
    " ledger filters on the household's own safety level (issue 18 point 5: kept by the safety"
    " states' trigger, indexed with the scoping column); before it, a correlated subquery per"
    " household made the county's ledger page 5.0 s p50 at 100,000 households."
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def build(households: int, counties: int) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    extra = {"counties": counties} if counties > 1 else {"county_code": COUNTY}
    call_command(
        "generate_synthetic",
        households=households,
        seed=1,
        appraisals=True,
        stdout=out,
        **extra,
    )
    return time.perf_counter() - started, out.getvalue().strip().splitlines()[-1]


def users():
    from accounts.models import Area, AreaLevel, Role, User
    from households.models import Household

    code = Household.objects.unscoped("bench").values_list("county_code", flat=True)[:1].get()
    county = Area.objects.get(code=code + "000000")
    township = Area.objects.filter(parent=county, level=AreaLevel.TOWNSHIP).order_by("code")[0]
    return {
        "county": User.objects.create(
            username="bench_county", role=Role.COUNTY_REVIEWER, area=county
        ),
        "township": User.objects.create(
            username="bench_township", role=Role.TOWNSHIP_STAFF, area=township
        ),
    }


def requests_for(user) -> dict[str, str]:
    from households.models import Household

    visible = Household.objects.visible_to(user)
    count = visible.count()
    name = visible.order_by("id").values_list("head_name", flat=True)[count // 2]
    township = user.area.code if user.area.level == "township" else None
    if township is None:
        from accounts.models import Area

        township = (
            Area.objects.filter(parent=user.area).order_by("code").values_list("code", flat=True)[1]
        )
    middle_api = max(1, count // 50 // 2)
    middle_page = max(1, count // 20 // 2)
    return {
        "API first page": "/api/households/",
        f"API middle page ({middle_api})": f"/api/households/?page={middle_api}",
        f"API name search ({name})": f"/api/households/?q={name}",
        "API ID tail search": "/api/households/?q=1234",
        "API filter category + township": f"/api/households/?category=dibao&township={township}",
        "list page first": "/households/",
        f"list page middle ({middle_page})": f"/households/?page={middle_page}",
        "list page search": f"/households/?q={name}",
        "list page filter": "/households/?category=tekun",
        "ledger page": "/inspections/ledger/",
    }


def main_query(captured) -> str | None:
    """The list's own SELECT (the longest one reading households, not a count)."""
    selects = [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT")
        and "households_household" in q["sql"]
        and "COUNT(" not in q["sql"][:40]
    ]
    return max(selects, key=len) if selects else None


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def time_requests(user, runs: int) -> tuple[dict, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    figures, plans = {}, {}
    for label, url in requests_for(user).items():
        client.get(url)  # warm
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        sql = main_query(captured.captured_queries)
        figures[label] = (*percentiles(times), len(captured.captured_queries))
        if sql:
            plans[label] = explain(sql)
    return figures, plans


def raw_writers(header: list[str], rows: list[list]) -> dict[str, float]:
    """The same rows through each writer alone (no Django, no formats)."""
    import openpyxl
    import pyexcelerate
    import xlsxwriter

    result = {}
    started = time.perf_counter()
    wb = pyexcelerate.Workbook()
    wb.new_sheet("s", data=[header, *rows])
    wb.save(io.BytesIO())
    result["pyexcelerate"] = time.perf_counter() - started

    started = time.perf_counter()
    book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True})
    sheet = book.add_worksheet("s")
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.write(r, c, value)
    book.close()
    result["xlsxwriter constant_memory"] = time.perf_counter() - started

    started = time.perf_counter()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("s")
    for row in [header, *rows]:
        sheet.append(row)
    book.save(io.BytesIO())
    result["openpyxl write-only"] = time.perf_counter() - started
    return result


def time_exports(user) -> dict:
    from households import exports as household_exports
    from inspections import exports as ledger_exports
    from inspections.exports import ledger_queryset

    result = {}
    cases = {
        "registry export": (
            household_exports.HouseholdListExporter(),
            household_exports.HEADER,
            lambda: list(_registry_rows(user)),
        ),
        "danger ledger export": (
            ledger_exports.LedgerExporter(),
            ledger_exports.HEADER,
            lambda: list(ledger_exports.ledger_rows(ledger_queryset(user, {}))),
        ),
    }
    for label, (exporter, header, rows_of) in cases.items():
        before = peak_mb()
        started = time.perf_counter()
        output = exporter.run(user, {}, lambda *a: None)
        wall = time.perf_counter() - started
        after = peak_mb()
        rows = rows_of()
        raw = raw_writers(header, rows)
        result[label] = {
            "rows": len(rows),
            "wall": wall,
            "size_mb": len(output.content) / 1e6,
            "peak_before": before,
            "peak_after": after,
            "raw": raw,
            "ratio": wall / min(raw.values()),
        }
    return result


def _registry_rows(user):
    """The registry's rows as the exporter builds them (for the raw writers)."""
    from core import exports
    from households.exports import HouseholdListExporter

    captured = []

    class Capture:
        def __init__(self, output, title, header, *, widths=None):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def append(self, row):
            captured.append(row)

    original = exports.StreamingSheet
    exports.StreamingSheet = Capture
    try:
        HouseholdListExporter().run(user, {}, lambda *a: None)
    finally:
        exports.StreamingSheet = original
    return captured


def write_report(args, built, figures, plans, export_figures, info, load) -> None:
    now = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    lines = [
        START,
        "## Lists and exports at scale (`scripts/bench_scale.py`)",
        "",
        f"Measured {now:%Y-%m-%d %H:%M} CST on {args.households:,} synthetic households"
        f" ({args.counties} count{'y' if args.counties == 1 else 'ies'}, about 25 % appraised),"
        f" built in {built[0]:.0f} s by `generate_synthetic --appraisals` (ANALYZE at the end)."
        f" Django's test client in the benchmark process, DEBUG off, {args.runs} requests each"
        f" after one warm-up. Load average (1/5/15 min) before: {load[0]}; after: {load[1]}"
        " (2 shared cores: a load above 2 means the figures are upper bounds).",
        "",
        "| request | user | p50 | p95 | queries |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for who, rows in figures.items():
        for label, (p50, p95, queries) in rows.items():
            lines.append(
                f"| {label} | {who} | {p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms | {queries} |"
            )
    lines += [
        "",
        "Exports as the county reviewer, and the raw writers on the same rows in the same run"
        " (ratio = export / fastest raw writer; peak RSS of the process before → after):",
        "",
        "| export | rows | export | pyexcelerate | xlsxwriter constant_memory |"
        " openpyxl write-only | ratio | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, f in export_figures.items():
        raw = f["raw"]
        lines.append(
            f"| {label} | {f['rows']:,} | {f['wall']:.1f} s | {raw['pyexcelerate']:.1f} s |"
            f" {raw['xlsxwriter constant_memory']:.1f} s | {raw['openpyxl write-only']:.1f} s |"
            f" {f['ratio']:.2f}× | {f['peak_before']:.0f} → {f['peak_after']:.0f} MB |"
        )
    lines += [
        "",
        NOTE,
        "",
        "<details><summary>EXPLAIN ANALYZE of each list's main query (county reviewer)</summary>",
        "",
    ]
    for label, plan in plans.get("county", {}).items():
        lines += [f"**{label}**", "", "```", plan, "```", ""]
    lines += [
        "</details>",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".",
        "",
        "Re-run: `nice .venv/bin/python scripts/bench_scale.py --households 100000`"
        " (creates and drops the database `anju_bench_scale`).",
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
    parser.add_argument("--counties", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="do not touch PERFORMANCE.md")
    args = parser.parse_args()

    import django

    django.setup()
    from bench_synthetic import machine
    from django.db import connection

    def uptime() -> str:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        info = machine()
        load_before = uptime()
        built = build(args.households, args.counties)
        print(built[1])
        figures, plans = {}, {}
        for who, user in users().items():
            figures[who], plans[who] = time_requests(user, args.runs)
            for label, (p50, p95, _queries) in figures[who].items():
                print(f"{who:8} {label:45} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms")
        for label, plan in plans["county"].items():
            print(f"\n== EXPLAIN ANALYZE: {label}\n{plan}")
        from accounts.models import User

        export_figures = time_exports(User.objects.get(username="bench_county"))
        for label, f in export_figures.items():
            print(label, f)
        load_after = uptime()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    if not args.no_write:
        write_report(args, built, figures, plans, export_figures, info, (load_before, load_after))


if __name__ == "__main__":
    main()
