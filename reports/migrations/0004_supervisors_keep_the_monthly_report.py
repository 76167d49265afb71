from django.db import migrations


def grant(apps, schema_editor):
    from core.roles import roles_grant
    from reports.roles import GRANTS

    roles_grant(apps, "reports", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_monthly_report"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
