from django.db import migrations


def create_settings(apps, schema_editor):
    Workspace = apps.get_model("tenants", "Workspace")
    DCRSettings = apps.get_model("registration", "DCRSettings")
    for workspace in Workspace.objects.all():
        DCRSettings.objects.get_or_create(workspace=workspace)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0001_initial"),
        ("tenants", "0002_default_workspace"),
    ]

    operations = [migrations.RunPython(create_settings, migrations.RunPython.noop)]
