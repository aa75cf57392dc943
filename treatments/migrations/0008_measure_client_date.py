"""A client's measures read in date order from one covering index (the progress page's charts and
tables); the index by client and kind, and the one by client alone, give way to it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0007_audit_fk_indexes_in_composites'),
        ('intake', '0004_history_and_no_delete'),
        ('knowledge', '0004_zone_snomed'),
        ('treatments', '0007_finding_client'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The new index first: the two drops take the table's exclusive lock, held to the commit.
    operations = [
        migrations.AddIndex(
            model_name='outcomemeasure',
            index=models.Index(fields=['client', 'measured_on', 'id'], include=('kind', 'score', 'zone'), name='measure_client_date'),
        ),
        migrations.RemoveIndex(
            model_name='outcomemeasure',
            name='measure_client_kind',
        ),
        migrations.AlterField(
            model_name='outcomemeasure',
            name='client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='outcome_measures', to='clinic.client'),
        ),
    ]
