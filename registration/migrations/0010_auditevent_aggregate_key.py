"""Refused audit rows carry their aggregation key, unique: one row per window across servers."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0009_dcrsettings_bumps_configuration_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="aggregate_key",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(aggregate_key__isnull=False),
                fields=("aggregate_key",),
                name="audit_refused_window_unique",
            ),
        ),
    ]
