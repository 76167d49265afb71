"""Reads of claims that several callers share."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from . import extensions
from .models import RELEASED_STATUSES, Claim, ClaimEvent


def claims_sharing_contact(*, claim: Claim) -> QuerySet[Claim]:
    """The other open claims with this claim's e-mail or address, compared by their keys
    (``contacts.py``): what the many-claims rule counts and the agents' page shows."""
    same_contact = Q(email_key=claim.email_key) | Q(address_key=claim.address_key)
    return Claim.objects.filter(same_contact).exclude(pk=claim.pk).exclude(status__in=RELEASED_STATUSES)


def claim_public_events(*, claim: Claim) -> QuerySet[ClaimEvent]:
    return claim.events.filter(public=True)


def claim_disposal_status(*, claim: Claim) -> dict[str, Any]:
    return extensions.disposal_status.ask(
        claim, default={"status": "pending", "facility": None, "confirmed_at": None}
    )


def claim_fulfilment(*, claim: Claim) -> dict[str, Any] | None:
    """What the customer received, once issued: the API's ``fulfilment`` (the fulfilment app knows)."""
    return extensions.fulfilment_summary.ask(claim)
