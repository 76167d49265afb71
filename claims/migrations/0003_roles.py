from django.db import migrations


def grant(apps, schema_editor):
    from claims.roles import GRANTS
    from core.roles import roles_grant

    roles_grant(apps, "claims", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0002_giftcard_outboxmessage_deliveryattempt_refund_and_more"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
