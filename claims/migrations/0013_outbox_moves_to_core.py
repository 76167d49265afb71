"""The outbox moves to core: its messages and their attempts are copied to core's tables with their ids
(a queued task names its message by id), the id sequences are moved past them, then claims' tables go.
Claims' role grants are applied again, without the outbox's permissions (core grants those now)."""

from django.db import migrations

MESSAGE_FIELDS = [
    "id",
    "event_id",
    "topic",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "delivered_at",
]
ATTEMPT_FIELDS = ["id", "message_id", "attempted_at", "status_code", "error"]


def _copy(old, new, fields) -> None:
    batch = []
    for row in old.objects.order_by("pk").values(*fields).iterator(chunk_size=2000):
        batch.append(new(**row))
        if len(batch) == 2000:
            new.objects.bulk_create(batch)
            batch = []
    new.objects.bulk_create(batch)


def copy_outbox(apps, schema_editor):
    _copy(apps.get_model("claims", "OutboxMessage"), apps.get_model("core", "OutboxMessage"), MESSAGE_FIELDS)
    _copy(apps.get_model("claims", "DeliveryAttempt"), apps.get_model("core", "DeliveryAttempt"), ATTEMPT_FIELDS)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for table in ("core_outboxmessage", "core_deliveryattempt"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )


def grant(apps, schema_editor):
    from claims.roles import GRANTS
    from core.roles import roles_grant

    roles_grant(apps, "claims", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_idempotency_moves_to_core"),
        ("core", "0002_outboxmessage_deliveryattempt"),
    ]

    operations = [
        migrations.RunPython(copy_outbox, migrations.RunPython.noop),
        migrations.DeleteModel(name="DeliveryAttempt"),
        migrations.DeleteModel(name="OutboxMessage"),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
