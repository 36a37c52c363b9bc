"""Workspaces still on the old default scope list stop advertising offline_access (OpenID
Connect Core §11: see tenants.models.DEFAULT_SCOPES_SUPPORTED). Customised lists are kept."""

from django.db import migrations

OLD_DEFAULT = ["openid", "profile", "email", "address", "phone", "offline_access"]
NEW_DEFAULT = ["openid", "profile", "email", "address", "phone"]


def drop_offline_access(apps, schema_editor):
    Workspace = apps.get_model("tenants", "Workspace")
    for workspace in Workspace.objects.all():
        if workspace.scopes_supported == OLD_DEFAULT:
            workspace.scopes_supported = list(NEW_DEFAULT)
            workspace.save(update_fields=["scopes_supported"])


def restore_offline_access(apps, schema_editor):
    Workspace = apps.get_model("tenants", "Workspace")
    for workspace in Workspace.objects.all():
        if workspace.scopes_supported == NEW_DEFAULT:
            workspace.scopes_supported = list(OLD_DEFAULT)
            workspace.save(update_fields=["scopes_supported"])


class Migration(migrations.Migration):
    dependencies = [("tenants", "0004_workspace_resource_indicators")]

    operations = [migrations.RunPython(drop_offline_access, restore_offline_access)]
