from django.db import migrations
from django.db.models import OuterRef, Subquery


def record_disposals_on_claims(apps, schema_editor):
    """Claims learn when their unit was handed in; a claim approved after its unit was handed in, and
    left waiting for a disposal that had happened, goes on to be fulfilled (the sweep issues it)."""
    from django.utils import timezone

    Claim = apps.get_model("claims", "Claim")
    DisposalConfirmation = apps.get_model("disposal", "DisposalConfirmation")
    received = DisposalConfirmation.objects.filter(claim=OuterRef("pk")).values("received_at")[:1]
    Claim.objects.filter(pk__in=DisposalConfirmation.objects.values("claim_id")).update(
        disposal_confirmed_at=Subquery(received)
    )
    ClaimEvent = apps.get_model("claims", "ClaimEvent")
    stranded = Claim.objects.filter(status="awaiting_disposal", disposal_confirmed_at__isnull=False)
    # Every status change is on the claim's timeline, this one too.
    ClaimEvent.objects.bulk_create(
        ClaimEvent(
            claim_id=claim_id,
            kind="status_changed",
            actor_kind="system",
            old_status="awaiting_disposal",
            new_status="fulfilling",
            public=True,
        )
        for claim_id in stranded.values_list("pk", flat=True)
    )
    stranded.update(status="fulfilling", remedy_retry_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("disposal", "0001_initial"),
        ("claims", "0008_terms_closed_at_recovery"),
    ]

    operations = [migrations.RunPython(record_disposals_on_claims, migrations.RunPython.noop)]
