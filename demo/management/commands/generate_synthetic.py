"""A synthetic county of N households for load tests: `generate_synthetic --households N --seed S`.

Speed (measured on the 2-core benchmark machine, see docs/PERFORMANCE.md): the audit
triggers make each household insert cost about 4x a plain insert, and the per-row work in
Python (Fernet encryption and HMAC of every ID and card number: ~50 µs each, 4 per
household) is as large as the database's. Django's bulk_create does both one after the other
in one process (about 95 s for 100,000 households). So:
  - worker processes (CPU count - 1: PostgreSQL needs a core of its own) build and encrypt
    batches (deterministic per batch: same seed, same county, whatever the number of
    workers) while
  - the main process streams finished rows into PostgreSQL with COPY, in one transaction,
    so the database works all the time.
Row triggers fire for COPY as for INSERT: every household and member gets its audit event,
attributed to this command.

`--counties N` spreads the households over N counties of one city (codes 5101xx under city
5101, e.g. 510101 … 510110); `--appraisals` appraises a realistic share of them (one
INSERT … SELECT, triggers and audit included); `--projects` gives this year's renovation
projects, close-outs and one paid batch to a share of the C and D houses
(`demo/synthetic_projects.py`). The command ends with VACUUM ANALYZE: without
statistics the planner misjudges every list (measured: first API page 2.07 s instead of 0.21 s).
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Area, AreaLevel, Role, User, level_of_code
from core import crypto
from core.audit import acting_as
from core.imports import bulk
from demo.county import (
    SyntheticSpec,
    synthetic_areas,
    synthetic_batch,
    village_weights,
)
from demo.synthetic_projects import ANALYZED, add_projects
from households import tally
from households.models import Household, Member

COMMAND = "generate_synthetic"
DEFAULT_COUNTY_CODE = "149901"  # no such prefecture (99) in Shanxi: cannot be a real county
DEFAULT_CITY_CODE = "5101"  # --counties: the counties 5101xx of one city (510100000000)
#: Share of households appraised, and of those the levels (A, B, C, D, no house), in per mille:
#: a county appraises the households a department lists and those an inspection flags.
APPRAISED_PER_MILLE = 250
LEVEL_PER_MILLE = (("A", 450), ("B", 350), ("C", 120), ("D", 70), ("none", 10))
DEMO_COUNTY_CODE = "141124"
MAX_LANES = 100  # IdAllocator: one two-digit lane of the ID sequence number per batch
PARALLEL_FROM = 20_000  # below this, starting worker processes costs more than it saves


def _prepare(spec: SyntheticSpec, batch_no: int, count: int):
    """Build one batch and turn it into database rows (runs in a worker process).

    Returns household rows (without id) and member rows as (household index in batch, row).
    """
    households, members = [], []
    for index, (village, data) in enumerate(synthetic_batch(spec, batch_no, count)):
        fields = dict(data.fields, village_id=village)
        _seal(fields, Household)
        households.append(fields)
        for member in data.members:
            member = dict(member)
            _seal(member, Member)
            members.append((index, member))
    return households, members


def _seal(values: dict, model) -> None:
    """What SensitiveNumbersMixin.sync_sensitive and EncryptedTextField do on save."""
    for value_field, hash_field, masked_field, masker in model.sensitive_numbers:
        value = crypto.normalize_number(values.get(value_field) or "")
        values[hash_field] = crypto.search_hash(value) if value else ""
        values[masked_field] = masker(value) if value else ""
        values[value_field] = crypto.encrypt(value) if value else ""


class Command(BaseCommand):
    help = (
        "生成一个县的模拟农户数据（压测、演示用）。"
        "Generate a synthetic county of N households (deterministic for a seed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True, help="农户数 N")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（相同种子，相同数据）")
        parser.add_argument(
            "--county-code",
            default=DEFAULT_COUNTY_CODE,
            help=f"县级区划代码前6位（默认 {DEFAULT_COUNTY_CODE}）",
        )
        parser.add_argument("--county-name", default="模拟县", help="新建县的名称")
        parser.add_argument(
            "--append",
            action="store_true",
            help="县内已有农户时仍追加（否则拒绝运行）。Add to a county that has households.",
        )
        parser.add_argument(
            "--counties",
            type=int,
            default=1,
            help=f"县数：N>1 时农户平均分到同一市（{DEFAULT_CITY_CODE}）下的 N 个县",
        )
        parser.add_argument(
            "--appraisals",
            action="store_true",
            help=f"为约 {APPRAISED_PER_MILLE / 10:g}% 的农户生成鉴定记录（A–D级、无房）",
        )
        parser.add_argument(
            "--projects",
            action="store_true",
            help="为 C/D 级农户生成本年度改造项目（各环节）、销号和一批已拨付的补助"
            "（需 --appraisals）",
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"生成数据的进程数（默认：N≥{PARALLEL_FROM} 时为 CPU 数减1，最多4；否则0）",
        )

    def handle(self, *args, households: int, seed: int, county_code: str, **options):
        started = time.perf_counter()
        self.verbosity = options["verbosity"]
        if households < 1:
            raise CommandError("农户数必须大于 0。--households must be at least 1.")
        if len(county_code) == 12 and county_code.endswith("000000"):
            county_code = county_code[:6]
        if not (len(county_code) == 6 and county_code.isdigit()):
            raise CommandError(
                f"县级区划代码应为6位数字（如 {DEFAULT_COUNTY_CODE}），而不是“{county_code}”。"
                " --county-code must be 6 digits."
            )
        if options["projects"] and not options["appraisals"]:
            raise CommandError("--projects 需要同时给出 --appraisals（项目来自 C/D 级鉴定）。")
        counties = options["counties"]
        if counties < 1 or counties > 99:
            raise CommandError("县数应在 1 到 99 之间。--counties must be 1..99.")
        if counties > 1:
            self._generate_counties(households, seed, counties, options, started)
            return
        existing = Household.objects.filter(county_code=county_code).count()
        if existing and not options["append"]:
            which = "演示县" if county_code == DEMO_COUNTY_CODE else "该县"
            raise CommandError(
                f"{which}（{county_code}）已有 {existing} 户农户，未写入任何数据。"
                "如确需追加，请加 --append。"
                f" County {county_code} already has {existing} households;"
                " use --append to add more."
            )

        with acting_as(None, command=COMMAND), transaction.atomic():
            created, members, villages = self._generate(
                seed, county_code, options, households, existing
            )
            if options["appraisals"]:
                self._appraise(seed, county_code)
            if options["projects"]:
                add_projects(seed, county_code)
        self._analyze()

        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {created} 户农户、{members} 名家庭成员（县 {county_code}，"
                f"{len(villages)} 个村，种子 {seed}），用时 {elapsed:.1f} 秒。"
            )
        )
        self.stdout.write(f"Created {created} households and {members} members in {elapsed:.1f} s.")

    def _generate_counties(self, households: int, seed: int, counties: int, options, started):
        """N counties of one city, each with its share of the households (own seed)."""
        codes = [f"{DEFAULT_CITY_CODE}{n:02d}" for n in range(1, counties + 1)]
        taken = Household.objects.filter(county_code__in=codes).count()
        if taken and not options["append"]:
            raise CommandError(
                f"这些县已有 {taken} 户农户，未写入任何数据。如确需追加，请加 --append。"
                f" The counties already have {taken} households; use --append to add more."
            )
        created = members = 0
        for n, code in enumerate(codes):
            share = households // counties + (1 if n < households % counties else 0)
            existing = Household.objects.filter(county_code=code).count()
            with acting_as(None, command=COMMAND), transaction.atomic():
                city_county(code, f"模拟{n + 1}县")
                done, people, _ = self._generate(
                    seed + n, code, {**options, "county_name": f"模拟{n + 1}县"}, share, existing
                )
                if options["appraisals"]:
                    self._appraise(seed + n, code)
                if options["projects"]:
                    add_projects(seed + n, code)
            created += done
            members += people
            if self.verbosity >= 1:
                self.stdout.write(f"  县 {code}: {done} 户")
        self._analyze()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {created} 户农户、{members} 名家庭成员（{counties} 个县，"
                f"{codes[0]}–{codes[-1]}），用时 {elapsed:.1f} 秒。"
            )
        )
        self.stdout.write(f"Created {created} households and {members} members in {elapsed:.1f} s.")

    def _appraise(self, seed: int, county_code: str) -> int:
        """Appraisals for a share of the county's households, in one INSERT … SELECT.

        Which households and which level follow from (seed, id): the same county gets the
        same appraisals. The database triggers write each one's safety state and audit event.
        """
        appraiser = synthetic_appraiser()
        cases, low = [], 0
        for level, per_mille in LEVEL_PER_MILLE:
            cases.append(f"WHEN pick < {low + per_mille} THEN '{level}'")
            low += per_mille
        with connection.cursor() as cursor:
            cursor.execute(
                f"""  -- the CASE is built from the constants above, values are parameters
                INSERT INTO inspections_appraisal (household_id, level, method, appraiser_name,
                    institution, appraised_on, report_file, report_content_type, note,
                    is_reappraisal, disputed, dispute_note, created_by_id, created_at)
                SELECT id, CASE {" ".join(cases)} END, 'assessed', '模拟鉴定员', '', day, '', '',
                       '', false, false, '', %(user)s, now()
                FROM (
                    SELECT id,
                           abs(hashint8(id * 7919 + %(seed)s)) %% 1000 AS pick,
                           abs(hashint8(id * 104729 + %(seed)s)) %% 1000 AS share,
                           DATE '2025-01-01' + (abs(hashint8(id + %(seed)s)) %% 600)::int AS day
                    FROM households_household WHERE county_code = %(county)s
                ) AS h
                WHERE share < %(share)s
                """,  # noqa: S608
                {
                    "user": appraiser.pk,
                    "seed": seed,
                    "county": county_code,
                    "share": APPRAISED_PER_MILLE,
                },
            )
            return cursor.rowcount

    @staticmethod
    def _analyze() -> None:
        """The households' tally folded (every appraisal's statement added its own signed
        rows) and fresh planner statistics after a bulk load (outside the transaction).
        VACUUM as well, where no transaction is open (not in a test's): it marks the new
        pages all-visible, so a deep page's keys and a capped count are index-only scans
        from the first request instead of after autovacuum gets to the table."""
        with transaction.atomic():
            tally.compact()
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (
                "households_household",
                "households_member",
                "inspections_appraisal",
                "inspections_safetystate",
                "accounts_area",
                "households_householdtally",
                *ANALYZED,
            ):
                cursor.execute(f"{command} {connection.ops.quote_name(model)}")

    def _generate(self, seed: int, county_code: str, options, households: int, existing: int):
        villages = self._villages(seed, county_code, options["county_name"], households)
        taken = frozenset()
        if existing:
            taken = frozenset(
                Household.objects.filter(county_code=county_code).values_list(
                    "id_number_hash", flat=True
                )
            ) | frozenset(
                Member.objects.filter(household__county_code=county_code)
                .exclude(id_number_hash="")
                .values_list("id_number_hash", flat=True)
            )
        spec = SyntheticSpec(
            seed=seed,
            region=county_code,
            villages=tuple((v.code, v.name) for v in villages),
            village_weights=village_weights(seed, len(villages)),
            taken_hashes=taken,
        )
        # At most MAX_LANES batches, so that every batch has its own lane of ID numbers.
        batch_size = max(options["batch_size"], math.ceil(households / MAX_LANES))
        batches = [
            (no, min(batch_size, households - start))
            for no, start in enumerate(range(0, households, batch_size))
        ]
        workers = options["workers"]
        if workers is None:
            # One core stays with PostgreSQL: on 2 cores, 2 workers slowed the writer so
            # much that 100,000 households took 60 s instead of 42 s with 1 worker.
            cores = os.cpu_count() or 1
            workers = min(max(cores - 1, 1), 4) if households >= PARALLEL_FROM else 0

        created, members = self._write(spec, batches, workers)
        return created, members, villages

    def _villages(self, seed: int, county_code: str, county_name: str, households: int):
        """The county's villages: those on file, or a new set of townships and villages."""
        villages = list(
            Area.objects.filter(level=AreaLevel.VILLAGE, code__startswith=county_code).order_by(
                "code"
            )
        )
        if villages:
            return villages
        for spec in synthetic_areas(seed, county_code, county_name, households):
            area, _ = Area.objects.get_or_create(
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "level": level_of_code(spec.code),
                    "parent_id": spec.parent,
                },
            )
            if area.level == AreaLevel.VILLAGE:
                villages.append(area)
        return villages

    def _write(self, spec: SyntheticSpec, batches, workers: int) -> tuple[int, int]:
        household_fields = bulk.copy_columns(Household)
        member_fields = bulk.copy_columns(Member)
        now = timezone.now()
        # What bulk_create would fill in for a field the generator leaves out ("" or None).
        defaults = {f.attname: f.get_default() for f in household_fields + member_fields}
        defaults.update(created_at=now, updated_at=now)
        with connection.cursor() as cursor:
            # FK checks at once instead of deferred to commit: the queue of deferred checks
            # makes every later statement slower (measured: 2x by the 8th batch of 5,000).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # COPY bypasses Django's cursor wrappers: the command's audit context (acting_as)
            # goes to the triggers for the transaction.
            bulk.hand_audit_context(cursor)
            created = members = 0
            waited = writing = 0.0
            clock = time.perf_counter()
            for no, (household_rows, member_rows) in self._batches(spec, batches, workers):
                waited += time.perf_counter() - clock
                clock = time.perf_counter()
                ids = bulk.reserve_ids(cursor, Household, len(household_rows))
                self._copy(cursor, Household, household_fields, household_rows, ids, defaults)
                for index, row in member_rows:
                    row["household_id"] = ids[index]
                self._copy(
                    cursor,
                    Member,
                    member_fields,
                    [row for _, row in member_rows],
                    bulk.reserve_ids(cursor, Member, len(member_rows)),
                    defaults,
                )
                created += len(household_rows)
                members += len(member_rows)
                spent = time.perf_counter() - clock
                writing += spent
                clock = time.perf_counter()
                if self.verbosity >= 2:
                    self.stdout.write(f"  批次 {no}: 累计 {created} 户，写入 {spent:.2f} 秒")
            if self.verbosity >= 2:
                self.stdout.write(
                    f"  等待生成 {waited:.1f} 秒，写入数据库 {writing:.1f} 秒"
                    f" (waiting for batches {waited:.1f} s, writing {writing:.1f} s)"
                )
        return created, members

    def _batches(self, spec, batches, workers: int):
        """Finished batches in order; with workers, a few are built ahead of the writer."""
        if workers <= 0:
            for no, count in batches:
                yield no, _prepare(spec, no, count)
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending = deque()
            todo = iter(batches)
            # Keep each worker one batch ahead: enough to hide the database, little memory.
            for no, count in todo:
                pending.append((no, pool.submit(_prepare, spec, no, count)))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                no, future = pending.popleft()
                result = future.result()
                following = next(todo, None)
                if following is not None:
                    pending.append((following[0], pool.submit(_prepare, spec, *following)))
                yield no, result

    @staticmethod
    def _copy(cursor, model, fields, rows, ids, defaults) -> None:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        names = [f.attname for f in fields]
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                row["id"] = pk
                copy.write_row([row[n] if n in row else defaults.get(n) for n in names])


# --- the synthetic city and its appraiser ------------------------------------------------


def city_county(code: str, name: str) -> Area:
    """The county `code` under its synthetic city (5101 → 510100000000, created at city
    level). MERGE NOTE: the one place where the synthetic counties get their parent; if the
    area tree had no city level, create the county with parent=None here."""
    city, _ = Area.objects.get_or_create(
        code=f"{code[:4]}00000000",
        defaults={"name": "模拟市", "level": AreaLevel.CITY, "parent": None},
    )
    area, _ = Area.objects.get_or_create(
        code=f"{code}000000",
        defaults={"name": name, "level": AreaLevel.COUNTY, "parent": city},
    )
    return area


def synthetic_appraiser() -> User:
    """The (inactive) account the synthetic appraisals are recorded by."""
    user, _ = User.objects.get_or_create(
        username="synthetic-appraiser",
        defaults={"full_name": "模拟鉴定员", "role": Role.COUNTY_REVIEWER, "is_active": False},
    )
    return user
