"""Erasure of customers' personal data once a claim has been closed long enough.

What the regulator's figures need stays: recall, model, country, remedy, status and the timeline's
status changes and times. Names, contact details, addresses, uploads and free-text notes go.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.recovery import log_event

from . import extensions
from .models import (
    CLOSED_STATUSES,
    DOCUMENTS_FOLDER,
    Claim,
    ClaimDocument,
    document_storage,
)

logger = logging.getLogger(__name__)
ERASED = "erased"
# A file younger than this may belong to a claim whose transaction has not committed yet.
ORPHAN_GRACE = timedelta(hours=1)
# Uploads are stored in a folder per day: the sweep looks at this many of the latest days.
ORPHAN_SWEEP_DAYS = 3


def claims_closed_before(*, closed_before: datetime):
    """Closed before ``closed_before``: by the time the claim closed, whatever was saved on it since."""
    return Claim.objects.filter(
        status__in=CLOSED_STATUSES, closed_at__lt=closed_before, personal_data_erased_at__isnull=True
    )


def claim_erase_personal_data(*, claim_id: int) -> bool:
    """Erase one closed claim's personal data; False if it is not closed or erased already."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status not in CLOSED_STATUSES or claim.personal_data_erased_at is not None:
            return False
        files = list(ClaimDocument.objects.filter(claim=claim).values_list("file", flat=True))
        ClaimDocument.objects.filter(claim=claim).delete()
        for erase in extensions.personal_data_erasers:  # the later apps' copies of the address
            erase(claim)
        claim.events.update(note="", note_params=None)
        Claim.objects.filter(pk=claim.pk).update(
            customer_name=ERASED,
            email=f"{ERASED}-{claim.pk}@invalid.example",
            email_key="",
            address_key="",
            phone="",
            address_line1=ERASED,
            address_line2="",
            city=ERASED,
            postal_code="",
            region="",
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


def documents_orphaned_delete(*, now: datetime | None = None) -> int:
    """Delete stored uploads that no claim kept: its transaction failed after the files were stored,
    or its process died in between. Files are stored before the claim's transaction, so this is the
    cleanup of last resort; the claim's own failure path deletes its files itself."""
    now = now or timezone.now()
    storage = document_storage()
    deleted = 0
    for days_ago in range(ORPHAN_SWEEP_DAYS):
        folder = f"{DOCUMENTS_FOLDER}/{(now - timedelta(days=days_ago)).date().isoformat()}"
        try:
            _folders, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        names = [f"{folder}/{file}" for file in files]
        kept = set()
        for start in range(0, len(names), 500):  # a busy day's names, in lookups SQLite takes
            chunk = names[start : start + 500]
            kept.update(ClaimDocument.objects.filter(file__in=chunk).values_list("file", flat=True))
        for name in names:
            if name in kept or storage.get_modified_time(name) > now - ORPHAN_GRACE:
                continue
            storage.delete(name)
            deleted += 1
    if deleted:
        log_event(logger, "documents.orphans_deleted", count=deleted)
    return deleted
