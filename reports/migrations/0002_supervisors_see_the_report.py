from django.db import migrations


def grant(apps, schema_editor):
    from claims.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("claims", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
