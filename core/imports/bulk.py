"""The bulk write of an import: rows streamed into PostgreSQL with COPY (issue 18 point 4).

`bulk_create` prepares every value of every row through the model fields and sends
INSERTs of a few hundred rows; at 100,000 households that preparation alone took longer
than the database's work. `copy_insert` streams ready rows through psycopg 3's
`cursor.copy` instead, as `demo/management/commands/generate_synthetic.py` does: the
database inserts (and runs its triggers) while Python prepares the next rows.

What a COPY must still do as the ORM would:
- the audit history: row triggers (pghistory, pgtrigger) fire for COPY as for INSERT, but
  COPY does not pass through Django's cursor wrappers, so the open audit context (the acting
  user and the import's id, `core.audit.acting_as`) is handed to the triggers here, for the
  transaction, exactly as pghistory's wrapper does for a statement;
- the values the fields would compute: sealed numbers (`sealed`: ciphertext, keyed hash and
  mask, as `SensitiveNumbersMixin.sync_sensitive` and `EncryptedTextField` do), the
  defaults of fields the rows leave out, `auto_now` / `auto_now_add` timestamps; columns the
  database computes (`GeneratedField`) are left to it;
- ids: taken from the table's sequence first, so the caller knows the rows it created.

Everything runs inside the caller's transaction: a refused write leaves nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence

from django.db import connection, models, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from pghistory import config as pghistory_config

from core import crypto
from core.audit import current_context

#: From this many rows on, the tables a load touched get fresh planner statistics after the
#: commit (autovacuum would take minutes; until then every list of the county is planned
#: with the old row counts).
ANALYZE_FROM = 10_000


def sealed(value: str, masker: Callable[[str], str]) -> tuple[str, str, str]:
    """(ciphertext, keyed hash, mask) of a sensitive number, or three blanks: what
    `SensitiveNumbersMixin.sync_sensitive` and `EncryptedTextField` store for it."""
    value = crypto.normalize_number(value or "")
    if not value:
        return "", "", ""
    return crypto.encrypt(value), crypto.search_hash(value), masker(value)


def copy_columns(model) -> list[models.Field]:
    """The columns a COPY writes: every stored field but those the database computes."""
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.GeneratedField)]


def hand_audit_context(cursor) -> None:
    """Hand the open audit context to the triggers for the rest of the transaction (what
    pghistory's execute wrapper prefixes to every statement that goes through Django)."""
    context = current_context()
    if context is None:
        return
    cursor.execute(
        "SELECT set_config('pghistory.context_id', %s, true),"
        " set_config('pghistory.context_metadata', %s, true)",
        [str(context.id), json.dumps(context.metadata, cls=pghistory_config.json_encoder())],
    )


def reserve_ids(cursor, model, count: int) -> list[int]:
    """`count` ids from the table's sequence, in order."""
    if count <= 0:
        return []
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [model._meta.db_table, model._meta.pk.column, count],
    )
    return [row[0] for row in cursor]


def copy_insert(
    model, columns: Sequence[str], rows: Iterable[Sequence], *, count: int, **constants
) -> list[int]:
    """Insert `count` rows of `model` through COPY; returns their new ids, in row order.

    Each row gives the values of `columns` (field attnames, ready for the database: numbers
    already `sealed`); `constants` give a value for every row (e.g. `created_by_id`); the
    other stored fields get their default, `auto_now(_add)` fields the time of the write.
    Must run inside a transaction (the caller's: a refusal rolls the rows back), under
    `checks_at_once` for a large load (the import pipeline's confirm does)."""
    if not connection.in_atomic_block:
        raise RuntimeError("copy_insert runs inside the caller's transaction")
    fields = copy_columns(model)
    pk = model._meta.pk.attname
    given = set(columns) | {pk}
    now = timezone.now()
    tail_names, tail = [], []
    for field in fields:
        if field.attname in given:
            continue
        if field.attname in constants:
            value = constants.pop(field.attname)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        tail_names.append(field.attname)
        tail.append(field.get_db_prep_save(value, connection) if value is not None else None)
    if constants:
        raise ValueError(f"not stored fields of {model.__name__}: {sorted(constants)}")
    names = [pk, *columns, *tail_names]
    column_of = {f.attname: f.column for f in fields}
    quoted = ", ".join(connection.ops.quote_name(column_of[name]) for name in names)
    table = connection.ops.quote_name(model._meta.db_table)
    tail = tuple(tail)
    with connection.cursor() as cursor:
        hand_audit_context(cursor)
        ids = reserve_ids(cursor, model, count)
        with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            # strict: more or fewer rows than `count` fail the COPY (and the transaction).
            for new_id, row in zip(ids, rows, strict=True):
                copy.write_row((new_id, *row, *tail))
    return ids


@contextlib.contextmanager
def checks_at_once():
    """Foreign-key checks at the end of each statement in this block, not queued to the commit.

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: a check per written row waits in
    the transaction's list of deferred trigger events. Every audit trigger (pgtrigger's
    `_pgtrigger_should_ignore`, pghistory's `_pgh_attach_context`) runs a PL/pgSQL
    `EXCEPTION` block, i.e. a subtransaction, per row, and PostgreSQL scans that whole list
    when a subtransaction aborts: a load grows quadratically. Measured on 60,000 households
    inserted in one statement: 19.6 s with the checks deferred, 5.9 s with them at once
    (100,000: 63 s). Every row an import writes points at rows that exist already, so the
    checks can run at once; on leaving, the constraints get their declared modes back (a
    failure inside rolls the transaction, and so the modes, back)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    with connection.cursor() as cursor:
        # Deferrable constraints declared INITIALLY IMMEDIATE (none today) stay immediate.
        cursor.execute(
            "SELECT n.nspname, c.conname FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE c.condeferrable AND NOT c.condeferred"
            " AND n.nspname = ANY(current_schemas(false))"
        )
        immediate = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if immediate:
            names = ", ".join(
                f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(name)}"
                for schema, name in immediate
            )
            cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")


def analyze_after_commit(*models_, rows: int) -> None:
    """After a load of `rows` rows (from `ANALYZE_FROM` on), fresh planner statistics for the
    tables of `models_` once the transaction commits (ANALYZE of a committed table)."""
    if rows < ANALYZE_FROM:
        return
    tables = list(dict.fromkeys(m._meta.db_table for m in models_))

    def analyze() -> None:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    transaction.on_commit(analyze)


def among(model, field_name: str, values: list) -> RawSQL:
    """`<field> = ANY(%s)`, a filter: one array parameter instead of `__in`'s placeholder per
    value (whose preparation, in Django and psycopg, took a second per 100,000 values)."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field_name).column)
    # The names come from the model, the values are one parameter.
    return RawSQL(f"{table}.{column} = ANY(%s)", (values,), output_field=BooleanField())  # noqa: S611


def listed(model, field_name: str, values: list) -> RawSQL:
    """`<field> IN (SELECT unnest(%s))`, a filter for a long list of values checked against
    rows found by another condition (e.g. the user's area): the planner joins the list by
    hashing it. `among`'s `= ANY(array)` is tested row by row against the whole array when
    it is a filter rather than an index condition: counting 50,000 households of a county
    by their ids took 4.4 s that way, 88 ms joined (issue 18 point 4)."""
    field = model._meta.get_field(field_name)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    array = f"{field.cast_db_type(connection)}[]"
    # The names and the type come from the model, the values are one parameter.
    return RawSQL(  # noqa: S611
        f"{table}.{column} IN (SELECT unnest(%s::{array}))", (values,), output_field=BooleanField()
    )
