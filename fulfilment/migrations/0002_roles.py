"""The staff roles' permissions of the remedies, granted by this app; claims' grants are applied again
so that the remedies' permissions of the time claims held them are dropped."""

from django.db import migrations


def grant(apps, schema_editor):
    from claims.roles import GRANTS as CLAIMS_GRANTS
    from core.roles import roles_grant
    from fulfilment.roles import GRANTS

    roles_grant(apps, "fulfilment", GRANTS)
    roles_grant(apps, "claims", CLAIMS_GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("fulfilment", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
