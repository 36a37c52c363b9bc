# RFC 8707 resource indicators allowed per workspace (`workspace resources`).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0003_workspace_subject_identifiers"),
    ]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="resource_indicators",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Absolute URIs of the protected resources tokens may be issued for (RFC 8707); empty: any resource.",
                verbose_name="resource indicators",
            ),
        ),
    ]
