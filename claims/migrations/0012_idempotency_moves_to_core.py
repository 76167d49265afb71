"""The idempotency store moves to core: its records (24 hours of them) are copied to core's table, then
claims' table goes."""

from django.db import migrations

FIELDS = ["key_hash", "request_fingerprint", "status_code", "sealed_body", "created_at"]


def copy_records(apps, schema_editor):
    old = apps.get_model("claims", "IdempotencyRecord")
    new = apps.get_model("core", "IdempotencyRecord")
    batch = []
    for record in old.objects.values(*FIELDS).iterator(chunk_size=2000):
        batch.append(new(**record))
        if len(batch) == 2000:
            new.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    new.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_remedies_move_to_fulfilment"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_records, migrations.RunPython.noop),
        migrations.DeleteModel(name="IdempotencyRecord"),
    ]
