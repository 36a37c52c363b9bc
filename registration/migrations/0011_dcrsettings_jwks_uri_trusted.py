"""Who set each JWKS URI: the platform (trusted) or a tenant administrator (public https only).

Existing URIs were set before tenant administrators existed (the CLI, superusers): trusted.
SQLite rebuilds the table to add a NOT NULL column, which drops its triggers: the configuration
version triggers (tenants/triggers.py) are installed again after it.
"""

from django.db import migrations, models

from tenants.triggers import installer

forwards, _backwards = installer("registration_dcrsettings")


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0010_auditevent_aggregate_key"),
    ]

    operations = [
        # Reversed last: removing the columns rebuilds the table again on SQLite.
        migrations.RunPython(migrations.RunPython.noop, forwards),
        migrations.AddField(
            model_name="dcrsettings",
            name="signed_request_jwks_uri_trusted",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.AddField(
            model_name="dcrsettings",
            name="software_statement_jwks_uri_trusted",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
