"""The drain's read of new messages gets an index of its own, built without holding up the outbox."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # an index built concurrently

    dependencies = [
        ("core", "0005_outbox_topics_kits_staff_email"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("attempts", 0), ("status", "pending")),
                fields=["id"],
                name="core_outbox_new",
            ),
        ),
    ]
