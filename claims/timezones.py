"""Times customers read (the status page, the e-mails) are in their claim's market time zone, named.

``claim_time_zone`` activates the zone around a page's or an e-mail's rendering; templates then show
a time with ``local_time`` (``{% load claim_times %}``), which adds the zone's abbreviation in the
reader's language ("MEZ" in German for CET).
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

from django.utils import formats, timezone
from django.utils.translation import pgettext_lazy

from recalls.countries import market_time_zone

from .models import Claim

# Abbreviations a language writes otherwise; any other is shown as the time zone database gives it.
ZONE_ABBREVIATIONS = {
    "CET": pgettext_lazy("time zone abbreviation", "CET"),
    "CEST": pgettext_lazy("time zone abbreviation", "CEST"),
}


@contextlib.contextmanager
def claim_time_zone(claim: Claim | None) -> Iterator[None]:
    """Times are shown in the claim's market zone inside; with no claim, as they were."""
    with (
        timezone.override(market_time_zone(claim.country)) if claim is not None else contextlib.nullcontext()
    ):
        yield


def local_time(value: datetime.datetime | None) -> str:
    """The time in the active zone and language, with the zone: "15. Januar 2025 13:30 MEZ"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    abbreviation = local.tzname() or timezone.get_current_timezone_name()
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {ZONE_ABBREVIATIONS.get(abbreviation, abbreviation)}"
