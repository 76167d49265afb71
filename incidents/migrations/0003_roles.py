from django.db import migrations


def grant(apps, schema_editor):
    from core.roles import roles_grant
    from incidents.roles import GRANTS

    roles_grant(apps, "incidents", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_triage_deadlines_photo"),
    ]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
