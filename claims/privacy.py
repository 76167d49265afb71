"""Erasure of customers' personal data once a claim has been closed long enough.

What the regulator's figures need stays: recall, model, country, remedy, status and the timeline's
status changes and times. Names, contact details, addresses, uploads and free-text notes go.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import Claim, ClaimDocument, ClaimStatus, Replacement

CLOSED_STATUSES = (ClaimStatus.REJECTED, ClaimStatus.FULFILLED, ClaimStatus.CANCELLED)
ERASED = "erased"


def claims_closed_before(*, closed_before: datetime):
    return Claim.objects.filter(
        status__in=CLOSED_STATUSES, updated_at__lt=closed_before, personal_data_erased_at__isnull=True
    )


def claim_erase_personal_data(*, claim_id: int) -> bool:
    """Erase one closed claim's personal data; False if it is not closed or erased already."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status not in CLOSED_STATUSES or claim.personal_data_erased_at is not None:
            return False
        files = list(ClaimDocument.objects.filter(claim=claim).values_list("file", flat=True))
        ClaimDocument.objects.filter(claim=claim).delete()
        Replacement.objects.filter(claim=claim).update(ship_to_name=ERASED, ship_to_address=ERASED)
        claim.events.update(note="", note_params=None)
        Claim.objects.filter(pk=claim.pk).update(
            customer_name=ERASED,
            email=f"{ERASED}-{claim.pk}@invalid.example",
            phone="",
            address_line1=ERASED,
            address_line2="",
            city=ERASED,
            postal_code="",
            personal_data_erased_at=timezone.now(),
        )
        storage = ClaimDocument._meta.get_field("file").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return True


def claims_erase_personal_data(*, closed_before: datetime) -> int:
    erased = 0
    for claim_id in claims_closed_before(closed_before=closed_before).values_list("pk", flat=True).iterator():
        erased += claim_erase_personal_data(claim_id=claim_id)
    return erased
