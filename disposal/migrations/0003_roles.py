"""The staff roles' permissions of this app (core.roles), granted by the app itself."""

from django.db import migrations


def grant(apps, schema_editor):
    from disposal.roles import GRANTS
    from core.roles import roles_grant

    roles_grant(apps, "disposal", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("disposal", "0002_claims_know_their_disposal"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
