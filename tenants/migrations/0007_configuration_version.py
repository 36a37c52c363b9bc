"""ConfigurationVersion and the triggers that rewrite it when a tenant, workspace or key changes."""

from django.db import migrations, models

from tenants.triggers import installer

forwards, backwards = installer("tenants_tenant", "tenants_workspace", "tenants_signingkey")


def create_row(apps, schema_editor):
    apps.get_model("tenants", "ConfigurationVersion").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0006_access_grants")]

    operations = [
        migrations.CreateModel(
            name="ConfigurationVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
