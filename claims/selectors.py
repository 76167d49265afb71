"""Reads of claims that several callers share."""

from __future__ import annotations

import datetime
import math
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import extensions
from .models import RELEASED_STATUSES, Claim, ClaimEvent, ClaimStatus


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


def claim_return_kit(*, claim: Claim) -> dict[str, Any] | None:
    """The API's ``return_kit``: null when none was ordered (the disposal app knows the kits)."""
    return extensions.return_kit_summary.ask(claim)


def claim_return_kit_offered(*, claim: Claim) -> bool:
    """Whether the claim's page offers a return kit now."""
    return bool(extensions.return_kit_offered.ask(claim, default=False))


REVIEW_TIME_WINDOW = datetime.timedelta(days=30)


def agent_review_decisions() -> QuerySet[ClaimEvent]:
    """An agent deciding a claim that waited in review: what the review times and the team's figures
    count."""
    return ClaimEvent.objects.filter(
        kind=ClaimEvent.Kind.STATUS_CHANGED,
        actor_kind=ClaimEvent.Actor.AGENT,
        old_status=ClaimStatus.NEEDS_REVIEW,
        new_status__in=[ClaimStatus.APPROVED, ClaimStatus.REJECTED],
    )


def typical_review_days(*, now: datetime.datetime | None = None) -> int | None:
    """Within how many days claims that waited for an agent were decided, over the last 30 days:
    the median, in whole days rounded up (at least 1); None without such decisions. Cached briefly:
    every status page of a claim in review shows it."""
    cached = cache.get("claims.typical_review_days")
    if cached is not None:
        return cached or None
    now = now or timezone.now()
    decided = (
        agent_review_decisions()
        .filter(created_at__gte=now - REVIEW_TIME_WINDOW)
        .values_list("created_at", "claim__created_at")[:5000]
    )
    waits = sorted(decided_at - submitted_at for decided_at, submitted_at in decided)
    days = None
    if waits:
        median = waits[len(waits) // 2]
        days = max(1, math.ceil(median / datetime.timedelta(days=1)))
    cache.set("claims.typical_review_days", days or 0, 600)
    return days
