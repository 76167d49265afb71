"""The staff roles' permissions of the kernel (the outbox), granted by core itself."""

from django.db import migrations


def grant(apps, schema_editor):
    from core.roles import GRANTS, roles_grant

    roles_grant(apps, "core", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_outboxmessage_deliveryattempt"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
