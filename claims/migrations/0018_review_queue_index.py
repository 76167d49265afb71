"""The review queue's index, built without blocking a live programme's claims (PostgreSQL)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("claims", "0017_review_queue_data"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="claim",
            index=models.Index(
                condition=models.Q(("status", "needs_review")),
                fields=["review_since", "id"],
                name="claim_review_queue",
            ),
        ),
    ]
