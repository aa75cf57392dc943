from django.db import migrations

from clinic.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0002_plans_sessions_notes_measures"),
        ("clinic", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
