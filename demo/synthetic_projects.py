"""Renovation projects and payouts for a synthetic county (`generate_synthetic --projects`).

In the proportions of a county in its year of work (issue 18 point 1): a project for 60 % of
the houses appraised C or D before the year began, spread over the steps from application to
close-out; a close-out makes the house safe again (a safety state, as the service writes
it); one paid batch of the county pays every accepted project its approved amount. Each table
is one INSERT … SELECT, so the database's own rules (status graph, dates in order, "never paid
before acceptance", amounts within the approved one) and the audit triggers see every row.
Which households, which step and which dates follow from (seed, household id).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from accounts.models import Area, Role, User
from inspections.models import SafetyState
from renovation.models import ProjectStatus as S
from renovation.models import RenovationProject
from subsidies.models import PayoutBatch, PayoutLine

#: Projects for this share (per mille) of the households appraised C or D before the year.
PROJECTS_PER_MILLE = 600
#: The step each project has reached (per mille, in order) and the days after the
#: application on which each step's date falls.
STEPS = (
    (S.APPLIED, 50, None),
    (S.VILLAGE_REVIEWED, 30, "village_reviewed_on"),
    (S.TOWNSHIP_REVIEWED, 30, "township_reviewed_on"),
    (S.JOINT_REVIEWED, 20, "joint_reviewed_on"),
    (S.PUBLICITY, 20, None),
    (S.APPROVED, 50, "approved_on"),
    (S.NOTIFIED, 50, "notified_on"),
    (S.UNDER_CONSTRUCTION, 150, "started_on"),
    (S.COMPLETED, 100, "completed_on"),
    (S.ACCEPTED, 150, "accepted_on"),
    (S.CLOSED, 350, "closed_on"),
)
DAYS_AFTER_APPLICATION = {
    "village_reviewed_on": 5,
    "township_reviewed_on": 10,
    "joint_reviewed_on": 15,
    "approved_on": 25,
    "notified_on": 28,
    "started_on": 35,
    "completed_on": 120,
    "accepted_on": 130,
    "closed_on": 140,
}
APPROVED = next(n for n, (status, _, _) in enumerate(STEPS) if status == S.APPROVED)


def _literal_columns(model, given: dict[str, str]) -> tuple[list[str], list[str], dict]:
    """Columns and SQL values of an INSERT … SELECT: `given` (SQL expressions over the
    SELECT's columns) and, for every other column, the field's default as a parameter."""
    columns, values, params = [], [], {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in given:
            values.append(given[field.attname])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        elif field.has_default() or not field.null:
            default = field.get_default()  # '' for a text field without one
            if default is None and not field.null:
                raise ValueError(f"{model.__name__}.{field.name}: no value and no default")
            params[field.attname] = getattr(default, "value", default)
            values.append(f"%({field.attname})s")
        else:
            values.append("NULL")
    return columns, values, params


def _insert_select(model, given: dict[str, str], source: str, params: dict) -> int:
    columns, values, defaults = _literal_columns(model, given)
    table = connection.ops.quote_name(model._meta.db_table)
    # The columns, expressions and source are this module's constants; values are parameters.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {**defaults, **params})
        return cursor.rowcount


def _user(username: str, full_name: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"full_name": full_name, "role": Role.COUNTY_REVIEWER, "is_active": False},
    )
    return user


def add_projects(seed: int, county_code: str, year: int | None = None) -> tuple[int, int]:
    """Projects of `year` (this year) for the county; (projects, payout lines)."""
    year = year or timezone.localdate().year
    clerk = _user("synthetic-clerk", "模拟经办人")
    steps, low = [], 0
    for n, (_status, per_mille, _column) in enumerate(STEPS):
        low += per_mille
        steps.append(f"WHEN pick < {low} THEN {n}")
    statuses = ", ".join(f"'{status.value}'" for status, _, _ in STEPS)
    given = {
        "household_id": "household_id",
        "year": "%(year)s",
        "status": f"(ARRAY[{statuses}])[step + 1]",
        "danger_level": "level",
        "appraisal_id": "appraisal_id",
        "method": "CASE WHEN level = 'D' THEN 'rebuild' ELSE 'repair' END",
        "applied_on": "applied_on",
        "applied_by_id": "%(clerk)s",
        "approved_amount": f"CASE WHEN step >= {APPROVED} THEN 20000 + pick * 20 END",
    }
    for n, (_status, _, column) in enumerate(STEPS):
        if column:
            days = DAYS_AFTER_APPLICATION[column]
            given[column] = f"CASE WHEN step >= {n} THEN applied_on + {days} END"
    source = f"""(
        SELECT h.id AS household_id, h.safety_level AS level,
               abs(hashint8(h.id * 31337 + %(seed)s)) %% 1000 AS pick,
               %(start)s::date + (abs(hashint8(h.id * 17 + %(seed)s)) %% 60)::int AS applied_on,
               (SELECT a.id FROM inspections_appraisal a WHERE a.household_id = h.id
                 ORDER BY a.appraised_on DESC, a.id DESC LIMIT 1) AS appraisal_id
          FROM households_household h
         WHERE h.county_code = %(county)s AND h.safety_level IN ('C', 'D')
           AND h.safety_level_on < %(start)s::date
           AND abs(hashint8(h.id * 7 + %(seed)s)) %% 1000 < %(share)s
    ) AS h, LATERAL (SELECT CASE {" ".join(steps)} END AS step) AS st"""  # noqa: S608
    params = {
        "seed": seed,
        "county": county_code,
        "share": PROJECTS_PER_MILLE,
        "start": dt.date(year, 1, 10).isoformat(),
        "year": year,
        "clerk": clerk.pk,
    }
    projects = _insert_select(RenovationProject, given, source, params)
    _close_out(county_code, year)
    return projects, _pay(county_code, year, clerk)


def _close_out(county_code: str, year: int) -> None:
    """A closed project's house is safe again (what the close-out service records)."""
    _insert_select(
        SafetyState,
        {
            "household_id": "p.household_id",
            "level": "'safe'",
            "on": "p.closed_on",
            "source": "'closeout'",
            "project_id": "p.id",
        },
        """renovation_renovationproject p
           JOIN households_household h ON h.id = p.household_id
          WHERE h.county_code = %(county)s AND p.year = %(year)s AND p.status = 'closed'""",
        {"county": county_code, "year": year},
    )


def _pay(county_code: str, year: int, clerk: User) -> int:
    """One paid batch of the county for every accepted or closed project of `year`."""
    payer = _user("synthetic-finance", "模拟财政经办")
    county = Area.objects.get(code=f"{county_code}000000")
    paid_on = dt.date(year, 11, 30)
    batch = PayoutBatch.objects.create(
        county=county,
        number=f"{year}-模拟",
        title=f"{year}年模拟拨付",
        batch_date=paid_on,
        funding_source="central",
        created_by=clerk,
    )
    lines = _insert_select(
        PayoutLine,
        {
            "batch_id": "%(batch)s",
            "project_id": "p.id",
            "amount": "p.approved_amount",
            "status": "'paid'",
            "created_by_id": "%(clerk)s",
        },
        """renovation_renovationproject p
           JOIN households_household h ON h.id = p.household_id
          WHERE h.county_code = %(county)s AND p.year = %(year)s
            AND p.status IN ('accepted', 'closed')""",
        {"county": county_code, "year": year, "batch": batch.pk, "clerk": clerk.pk},
    )
    # Through the batch's steps (the database's status graph): submitted, then paid.
    now = timezone.now()
    batches = PayoutBatch.objects.filter(pk=batch.pk)
    batches.update(status="submitted", submitted_by=clerk, submitted_at=now)
    batches.update(status="paid", paid_on=paid_on, paid_by=payer, paid_at=now)
    return lines


ANALYZED = (
    "renovation_renovationproject",
    "subsidies_payoutbatch",
    "subsidies_payoutline",
)
