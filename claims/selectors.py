"""Reads of claims that several callers share."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from recalls.models import Remedy

from . import extensions
from .models import RELEASED_STATUSES, Claim, ClaimEvent, GiftCard, Refund, Replacement


def claims_sharing_contact(*, claim: Claim) -> QuerySet[Claim]:
    """The other open claims with this claim's e-mail or address, compared by their keys
    (``contacts.py``): what the many-claims rule counts and the agents' page shows."""
    same_contact = Q(email_key=claim.email_key) | Q(address_key=claim.address_key)
    return Claim.objects.filter(same_contact).exclude(pk=claim.pk).exclude(status__in=RELEASED_STATUSES)


def claim_public_events(*, claim: Claim) -> QuerySet[ClaimEvent]:
    return claim.events.filter(public=True)


def claim_disposal_status(*, claim: Claim) -> dict[str, Any]:
    provider = extensions.disposal_status.first()
    if provider is not None:
        return provider(claim)
    return {"status": "pending", "facility": None, "confirmed_at": None}


def claim_fulfilment(*, claim: Claim) -> dict[str, Any] | None:
    """What the customer received, once issued: the API's ``fulfilment``. One query, in the claim's remedy table."""
    if claim.remedy == Remedy.GIFT_CARD:
        card = GiftCard.objects.filter(claim=claim).first()
        if card is not None:
            return {
                "type": "gift_card",
                "code": card.display_code,
                "amount": str(card.amount),
                "currency": card.currency,
            }
    elif claim.remedy == Remedy.REPLACEMENT:
        replacement = Replacement.objects.filter(claim=claim).select_related("model").first()
        if replacement is not None:
            return {
                "type": "replacement",
                "model_number": replacement.model.model_number,
                "tracking_number": replacement.tracking_number or None,
                "status": replacement.shipping_status,
            }
    else:
        refund = Refund.objects.filter(claim=claim).first()
        if refund is not None:
            return {
                "type": "refund",
                "amount": str(refund.amount),
                "currency": refund.currency,
                "status": refund.payout_status,
            }
    return None
