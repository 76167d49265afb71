"""The staff roles' permissions of this app (core.roles), granted by the app itself."""

from django.db import migrations


def grant(apps, schema_editor):
    from recalls.roles import GRANTS
    from core.roles import roles_grant

    roles_grant(apps, "recalls", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("recalls", "0005_market_rule_product_photo_required"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
