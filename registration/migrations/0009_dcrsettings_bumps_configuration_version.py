"""A change of any workspace's DCR settings rewrites the configuration version (tenants/triggers)."""

from django.db import migrations

from tenants.triggers import installer

forwards, backwards = installer("registration_dcrsettings")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0008_cimd_settings_and_client_id_per_workspace"),
        ("tenants", "0007_configuration_version"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
