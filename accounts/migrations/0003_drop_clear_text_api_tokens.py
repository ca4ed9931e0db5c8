"""API tokens move to django-rest-knox (hashed, expiring): the old table of DRF tokens,
which kept every token in clear, is dropped. Its clients sign in again at /api/auth/token/."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_history"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
    ]
