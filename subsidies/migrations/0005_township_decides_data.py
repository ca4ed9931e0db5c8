"""Existing ④⑤ D-level lines (document 003: at most 20,000, as the township approves)."""

from django.db import migrations


def mark(apps, schema_editor):
    Standard = apps.get_model("subsidies", "SubsidyStandard")
    for line in Standard.objects.filter(level="D"):
        if line.categories and set(line.categories) <= {"hardship", "dibao_edge"}:
            line.township_decides = True
            line.save(update_fields=["township_decides"])


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0004_township_decides")]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
