"""Reads of the remedies issued that other apps show."""

from __future__ import annotations

from typing import Any

from claims.models import Claim
from recalls.models import Remedy

from .models import GiftCard, Refund, Replacement


def fulfilment_for_claim(claim: Claim) -> dict[str, Any] | None:
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


def fulfilment_line_for_agents(claim: Claim) -> str | None:
    """The remedy issued, in one line for the claim's admin page: agents never see a full code."""
    card = GiftCard.objects.filter(claim=claim).first()
    if card is not None:
        return f"Gift card {card.masked_code}, {card.amount} {card.currency}, {card.get_status_display().lower()}"
    replacement = Replacement.objects.filter(claim=claim).select_related("model").first()
    if replacement is not None:
        tracking = replacement.tracking_number or "no tracking number yet"
        return f"Replacement {replacement.model.model_number}: {replacement.get_shipping_status_display()}, {tracking}"
    refund = Refund.objects.filter(claim=claim).first()
    if refund is not None:
        return f"Refund {refund.amount} {refund.currency}: {refund.get_payout_status_display()}"
    return None
