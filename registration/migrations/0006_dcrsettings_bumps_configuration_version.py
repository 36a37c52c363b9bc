"""A change of any workspace's DCR settings rewrites the configuration version (tenants/triggers)."""

from django.db import migrations

from tenants.triggers import installer

forwards, backwards = installer("registration_dcrsettings")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0005_audit_refusal_count"),
        ("tenants", "0004_configuration_version"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
