"""A finding keeps its session's client (set by a trigger), so the progress page reads a client's
findings from one index; the session index by client carries the columns of its charts."""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0006_export_permission'),
        ('knowledge', '0004_zone_snomed'),
        ('treatments', '0006_referral_letters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='finding',
            name='update_update',
        ),
        migrations.RemoveIndex(
            model_name='session',
            name='session_client_starts',
        ),
        migrations.AddField(
            model_name='finding',
            name='client',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.client'),
        ),
        # Existing findings take their session's client. The signed-note lock would refuse
        # the UPDATE of a signed note's findings: it is off for this statement alone (the
        # history trigger of updates is already removed above, so no history rows either).
        migrations.RunSQL(
            sql="""
                ALTER TABLE treatments_finding DISABLE TRIGGER pgtrigger_finding_signed_lock_8ace2;
                UPDATE treatments_finding f SET client_id = s.client_id
                FROM treatments_session s WHERE s.id = f.session_id;
                ALTER TABLE treatments_finding ENABLE TRIGGER pgtrigger_finding_signed_lock_8ace2;
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='finding',
            name='client',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.client'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['client'], include=('session', 'muscle', 'trigger_point', 'side', 'state', 'tenderness', 'position'), name='finding_client'),
        ),
        migrations.AddIndex(
            model_name='session',
            index=models.Index(fields=['client', 'starts_at', 'id'], include=('status', 'pain_before', 'pain_after'), name='session_client_starts'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='finding',
            trigger=pgtrigger.compiler.Trigger(name='finding_client_of_session', sql=pgtrigger.compiler.UpsertTriggerSql(func='\n                    NEW.client_id := (\n                        SELECT s.client_id FROM treatments_session s WHERE s.id = NEW.session_id\n                    );\n                    RETURN NEW;\n                ', hash='a911613a0168fe5ef8dd10c6796d91b50ee291ea', operation='INSERT OR UPDATE', pgid='pgtrigger_finding_client_of_session_9222a', table='treatments_finding', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='finding',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."muscle_id" IS DISTINCT FROM (NEW."muscle_id") OR OLD."position" IS DISTINCT FROM (NEW."position") OR OLD."referral_reproduced" IS DISTINCT FROM (NEW."referral_reproduced") OR OLD."session_id" IS DISTINCT FROM (NEW."session_id") OR OLD."side" IS DISTINCT FROM (NEW."side") OR OLD."state" IS DISTINCT FROM (NEW."state") OR OLD."tenderness" IS DISTINCT FROM (NEW."tenderness") OR OLD."trigger_point_id" IS DISTINCT FROM (NEW."trigger_point_id"))', func='INSERT INTO "treatments_findingevent" ("id", "muscle_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "position", "referral_reproduced", "session_id", "side", "state", "tenderness", "trigger_point_id") VALUES (NEW."id", NEW."muscle_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."position", NEW."referral_reproduced", NEW."session_id", NEW."side", NEW."state", NEW."tenderness", NEW."trigger_point_id"); RETURN NULL;', hash='4b56494cb6af1743cfebff1431aa012db2963b96', operation='UPDATE', pgid='pgtrigger_update_update_a93f9', table='treatments_finding', when='AFTER')),
        ),
    ]
