from django.db import migrations


def grant(apps, schema_editor):
    from reports.roles import GRANTS
    from core.roles import roles_grant

    roles_grant(apps, "reports", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
