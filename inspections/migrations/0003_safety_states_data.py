"""Derive the safety history from today's records: every appraisal, and every close-out of
the dangerous-house ledger (the renovation close-out wrote one) as safe."""

from django.db import migrations


def derive(apps, schema_editor):
    Appraisal = apps.get_model("inspections", "Appraisal")
    Closure = apps.get_model("inspections", "LedgerClosure")
    State = apps.get_model("inspections", "SafetyState")
    states = [
        State(
            household_id=a.household_id,
            level=a.level,
            on=a.appraised_on,
            source="appraisal",
            appraisal_id=a.pk,
        )
        for a in Appraisal.objects.exclude(safety_state__isnull=False).iterator()
    ]
    states += [
        State(
            household_id=c.household_id,
            level="safe",
            on=c.closed_on,
            source="closure",
            note=c.reason[:200],
        )
        for c in Closure.objects.iterator()
    ]
    State.objects.bulk_create(states, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0002_safety_states")]

    operations = [migrations.RunPython(derive, migrations.RunPython.noop)]
