"""Claims already in review wait since they last entered it; the reasons agents wrote before canned
reasons existed are their own words; supervisors keep the canned reasons and the service target.

Apart from the schema change: PostgreSQL builds the new foreign keys' indexes at the end of that
migration, and refuses to while rows it updated have checks pending."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def grant(apps, schema_editor):
    from claims.roles import GRANTS
    from core.roles import roles_grant

    roles_grant(apps, "claims", GRANTS)


def waiting_since_and_own_words(apps, schema_editor):
    Claim, ClaimEvent = apps.get_model("claims", "Claim"), apps.get_model("claims", "ClaimEvent")
    entered = ClaimEvent.objects.filter(claim=OuterRef("pk"), new_status="needs_review").order_by(
        "-created_at", "-pk"
    )
    in_review = Claim.objects.filter(status="needs_review")
    in_review.update(review_since=Subquery(entered.values("created_at")[:1]))
    in_review.filter(review_since__isnull=True).update(review_since=models.F("created_at"))
    ClaimEvent.objects.filter(actor_kind="agent", note_params__isnull=True).exclude(note="").update(
        free_text=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0016_review_queue"),
    ]

    operations = [
        migrations.RunPython(waiting_since_and_own_words, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
