"""Reads of claims that several callers share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from .models import Claim, ClaimEvent


def claim_public_events(*, claim: Claim) -> QuerySet[ClaimEvent]:
    return claim.events.filter(public=True)


# The disposal app registers how a claim's disposal is reported, so that claims never import it.
disposal_status_provider: Callable[[Claim], dict[str, Any]] | None = None


def claim_disposal_status(*, claim: Claim) -> dict[str, Any]:
    if disposal_status_provider is not None:
        return disposal_status_provider(claim)
    return {"status": "pending", "facility": None, "confirmed_at": None}
