from django.db import migrations


def create_roles(apps, schema_editor):
    from claims.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0002_giftcard_outboxmessage_deliveryattempt_refund_and_more"),
        ("recalls", "0001_initial"),
        ("disposal", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
