"""A session is never moved to another client (its findings carry that client too)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0008_measure_client_date"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="session",
            trigger=pgtrigger.compiler.Trigger(
                name="session_client_kept",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.client_id IS DISTINCT FROM NEW.client_id)",
                    func="RAISE EXCEPTION 'Session % belongs to its client: it cannot be moved to another client.', OLD.id USING ERRCODE = 'P0001';",
                    hash="16763baa8ded863c4cb45efd0281ad53be3e7c85",
                    operation="UPDATE",
                    pgid="pgtrigger_session_client_kept_83956",
                    table="treatments_session",
                    when="BEFORE",
                ),
            ),
        ),
    ]
