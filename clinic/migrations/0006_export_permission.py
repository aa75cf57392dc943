from django.db import migrations

from clinic.roles import sync_role_permissions


class Migration(migrations.Migration):
    # After every app's latest migration, so the role sync finds all their permissions.
    dependencies = [
        ("clinic", "0005_access_request"),
        ("intake", "0004_history_and_no_delete"),
        ("knowledge", "0004_zone_snomed"),
        ("treatments", "0006_referral_letters"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="client",
            options={
                "ordering": ["last_name", "first_name", "id"],
                "permissions": [
                    ("archive_client", "Can archive and restore clients"),
                    ("give_client_record", "Can give a client their whole record (access request)"),
                    (
                        "export_records",
                        "Can export records (FHIR, CSV) and import clients from CSV",
                    ),
                ],
            },
        ),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
