from django.db import migrations

from clinic.roles import sync_role_permissions
from knowledge.loader import load_knowledge


def load(apps, schema_editor):
    load_knowledge(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("clinic", "0002_roles"),
    ]

    operations = [
        # Reversing leaves the content: the schema migration before this one drops the tables.
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
