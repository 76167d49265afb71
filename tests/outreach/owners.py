"""Known owners and their notices made directly, for figures known in advance (the funnel, the report)."""

from __future__ import annotations

import hashlib
import itertools

from django.utils import timezone

from claims.contacts import email_key
from outreach.models import Campaign, KnownOwner, Notice, Wave
from recalls.models import Recall

_numbers = itertools.count(1)


def known_owner(recall: Recall, *, country: str = "US", **kw) -> KnownOwner:
    n = next(_numbers)
    fields = {
        "name": f"Owner {n}",
        "email": f"owner{n}@example.com",
        "phone": "+12025550100",
        "address_line1": f"{n} Main Street",
        "city": "Springfield",
        "postal_code": "12345",
        "country": country,
        "serial": f"AH2306{700_000 + n:010d}",
        **kw,
    }
    fields["email_key"] = email_key(fields["email"]) if fields["email"] else ""
    fields["row_key"] = hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()
    return KnownOwner.objects.create(recall=recall, model=recall.models.first(), **fields)


def campaign_with_waves(recall: Recall, country: str, channels: list[str], **kw) -> Campaign:
    """A running campaign whose waves (day 0, 7, 14...) are planned, without sending anything."""
    campaign = Campaign.objects.create(
        recall=recall, country=country, status=Campaign.Status.RUNNING, started_at=timezone.now(), **kw
    )
    for number, channel in enumerate(channels, start=1):
        Wave.objects.create(
            campaign=campaign, number=number, channel=channel, day=7 * (number - 1), planned_at=timezone.now()
        )
    return campaign


def notice(
    campaign: Campaign,
    wave: int,
    owner: KnownOwner,
    *,
    channel: str | None = None,
    status: str = Notice.Status.SENT,
    opened: bool = False,
    checked: bool = False,
    claim=None,
    **kw,
) -> Notice:
    """A notice as the senders and the owner's clicks leave it."""
    now = timezone.now()
    made = campaign.waves.get(number=wave)
    notified = status in (Notice.Status.SENT, Notice.Status.BOUNCED)
    return Notice.objects.create(
        wave=made,
        owner=owner,
        channel=channel or made.channel,
        status=status,
        sent_at=kw.pop("sent_at", now if notified else None),
        opened_at=now if opened else None,
        checked_at=now if checked else None,
        claim=claim,
        **kw,
    )
