"""Migration operations for the audit tables (django-pghistory's event models).

Migrations import this module, so what it produces for a given call must never change.
"""

from __future__ import annotations

import pghistory.utils
from django.db import migrations, models

_DROP_CONTEXT_KEY = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT conname FROM pg_constraint
             WHERE conrelid = '{table}'::regclass AND contype = 'f'
               AND confrelid = 'pghistory_context'::regclass LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', '{table}', r.conname);
    END LOOP;
    FOR r IN SELECT i.indexrelid::regclass::text AS name FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
             WHERE i.indrelid = '{table}'::regclass AND i.indnatts = 1
               AND a.attname = 'pgh_context_id' LOOP
        EXECUTE 'DROP INDEX ' || r.name;
    END LOOP;
END $$;
"""

# The event tables are append-only (a trigger refuses UPDATE): it is lifted for the copy only.
_COPY_METADATA = """
ALTER TABLE "{table}" ADD COLUMN "pgh_context" jsonb NULL;
ALTER TABLE "{table}" DISABLE TRIGGER USER;
UPDATE "{table}" e SET "pgh_context" = c."metadata"
  FROM "pghistory_context" c WHERE c."id" = e."pgh_context_id";
ALTER TABLE "{table}" ENABLE TRIGGER USER;
"""


def _denormalize(app_label: str, model_names: tuple[str, ...]):
    def forwards(apps, schema_editor):
        for name in model_names:
            table = apps.get_model(app_label, name)._meta.db_table
            schema_editor.execute(_DROP_CONTEXT_KEY.format(table=table), params=None)
            schema_editor.execute(_COPY_METADATA.format(table=table), params=None)

    return forwards


def denormalize_context(
    app_label: str, *model_names: str
) -> list[migrations.operations.base.Operation]:
    """Move event models from pghistory's shared context table to a context of their own.

    Before: `pgh_context` is a foreign key to `pghistory_context`, whose one row per request
    is overwritten by the last metadata set in that request. After: `pgh_context` is the
    event's own copy of the metadata (JSON) and `pgh_context_id` the id that groups one
    request's events (the same uuid column as before, without the foreign key). Existing
    events keep their metadata: it is copied from the context table.
    """
    state = []
    for name in model_names:
        state += [
            migrations.AlterField(
                model_name=name,
                name="pgh_context",
                field=pghistory.utils.JSONField(null=True),
            ),
            migrations.AddField(
                model_name=name, name="pgh_context_id", field=models.UUIDField(null=True)
            ),
        ]
    return [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_denormalize(app_label, model_names))],
            state_operations=state,
        )
    ]
