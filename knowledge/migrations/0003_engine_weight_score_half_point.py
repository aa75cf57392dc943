"""Add the engine weights the data files list and the database lacks (score_half_point).

Existing weights keep their values: an admin may have tuned them.
"""

from django.db import migrations

from knowledge.loader import read_data


def add_missing_weights(apps, schema_editor):
    EngineWeight = apps.get_model("knowledge", "EngineWeight")
    for item in read_data().get("engine_weights") or []:
        EngineWeight.objects.get_or_create(
            key=item["key"],
            defaults={
                "value": float(item["value"]),
                "description": str(item["description"]).strip(),
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0002_load_content"),
    ]

    operations = [
        migrations.RunPython(add_missing_weights, migrations.RunPython.noop),
    ]
