from django.db import migrations


def create_default(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Workspace = apps.get_model("tenants", "Workspace")
    tenant, _ = Tenant.objects.get_or_create(slug="default", defaults={"name": "Default"})
    Workspace.objects.get_or_create(tenant=tenant, slug="default", defaults={"name": "Default"})


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
