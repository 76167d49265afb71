"""Agents and supervisors see the return kits (disposal.roles)."""

from django.db import migrations


def grant(apps, schema_editor):
    from disposal.roles import GRANTS
    from core.roles import roles_grant

    roles_grant(apps, "disposal", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("disposal", "0004_return_kits")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
