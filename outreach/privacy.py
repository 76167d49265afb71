"""Erasure of known owners' contact data once they were imported longer ago than the claims' retention
(``PERSONAL_DATA_RETENTION_DAYS``, through ``erase_personal_data``).

What the campaigns' figures need stays: recall, model, country, serial, whether it was covered, the
source and the notices sent. Name, e-mail, phone and address go, and so does the row's key (a hash of
them): a file imported again after the erasure brings its owners back as new ones.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from claims.extensions import Erasure

from .models import KnownOwner

# Owners erased per transaction: a programme may know millions, and each chunk's locks end with it.
ERASE_CHUNK = 10_000


def known_owners_imported_before(*, imported_before: datetime) -> QuerySet[KnownOwner]:
    return KnownOwner.objects.filter(imported_at__lt=imported_before, erased_at__isnull=True)


def known_owners_erase_personal_data(*, imported_before: datetime) -> int:
    erased = 0
    while True:
        with transaction.atomic():
            ids = list(
                known_owners_imported_before(imported_before=imported_before).values_list("pk", flat=True)[
                    :ERASE_CHUNK
                ]
            )
            if not ids:
                return erased
            erased += KnownOwner.objects.filter(pk__in=ids, erased_at__isnull=True).update(
                name="",
                email="",
                email_key="",
                phone="",
                address_line1="",
                city="",
                postal_code="",
                row_key=Concat(Value("erased-"), Cast("pk", CharField())),
                erased_at=timezone.now(),
            )


def known_owners_retention(cutoff: datetime, dry_run: bool) -> Erasure:
    """``claims.extensions.retention_erasers``: known owners imported before ``cutoff``."""
    if dry_run:
        count = known_owners_imported_before(imported_before=cutoff).count()
    else:
        count = known_owners_erase_personal_data(imported_before=cutoff)
    return Erasure(records="known owners imported", count=count)
