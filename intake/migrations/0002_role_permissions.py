from django.db import migrations

from clinic.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
        ("clinic", "0002_roles"),
        ("knowledge", "0002_load_content"),
    ]

    operations = [
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
