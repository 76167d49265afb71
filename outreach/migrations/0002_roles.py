from django.db import migrations


def grant(apps, schema_editor):
    from core.roles import roles_grant
    from outreach.roles import GRANTS

    roles_grant(apps, "outreach", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
