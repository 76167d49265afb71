"""What later apps add to claims, through slots claims declares here (see ``core.registry``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.registry import Registry

from .models import Claim

# Sections of text added to the "claim received" e-mail (the disposal app: the nearest centres).
received_email_sections: Registry[Callable[[Claim], str]] = Registry("claims.received_email_sections")
# The remedy issued: the API's ``fulfilment`` of a claim, and one line for agents (the fulfilment app).
fulfilment_summary: Registry[Callable[[Claim], dict[str, Any] | None]] = Registry(
    "claims.fulfilment_summary", single=True
)
fulfilment_line_for_agents: Registry[Callable[[Claim], str | None]] = Registry(
    "claims.fulfilment_line_for_agents", single=True
)
# Erase a closed claim's personal data where a later app copied it (a replacement's shipping address);
# called in the erasure's transaction.
personal_data_erasers: Registry[Callable[[Claim], None]] = Registry("claims.personal_data_erasers")


@dataclass(frozen=True)
class Erasure:
    """What a later app erased past the retention (or, on a dry run, would erase): ``count`` ``records``."""

    records: str  # what they are, as the command reports them: "known owners imported"
    count: int


# Erase the personal data later apps keep apart from any claim (the known owners of recall notices)
# from before the cutoff, or on a dry run (True) count it only: ``erase_personal_data`` calls each.
retention_erasers: Registry[Callable[[datetime, bool], Erasure]] = Registry("claims.retention_erasers")
# How a claim's disposal is reported in its API answer (the disposal app knows the centres).
disposal_status: Registry[Callable[[Claim], dict[str, Any]]] = Registry("claims.disposal_status", single=True)


# Where a visit came from, as the later app that sent the customer here put it in the session under
# this key (the outreach app: the recall notice whose link they followed). Told when the serial is
# checked, and in the claim's transaction when a claim is made.
ATTRIBUTION_SESSION_KEY = "attribution"
serial_checked_from: Registry[Callable[[dict], None]] = Registry("claims.serial_checked_from")
claim_made_from: Registry[Callable[[Claim, dict], None]] = Registry("claims.claim_made_from")


@dataclass(frozen=True)
class NearestCentres:
    """The certified centres a customer is sent to: ``near`` the city they are sorted from (empty if
    none was given), ``city_unknown`` a city given that could not be placed."""

    centres: Sequence[Any]  # each with name, address and distance_km (None when not sorted)
    near: str = ""
    city_unknown: str = ""


# Links a later app adds to a claim's status page, each as (its words, its URL) or None (the incidents
# app: report a fire or an overheating of this unit, with the claim filled in).
status_page_links: Registry[Callable[[Claim], tuple[str, str] | None]] = Registry("claims.status_page_links")


# The centres nearest a city in a country, for the pages (the disposal app knows the centres).
nearest_centres: Registry[Callable[[str, str], NearestCentres]] = Registry(
    "claims.nearest_centres", single=True
)


# Return kits by mail (the disposal app knows the centres and the kits): the API's ``return_kit`` of a
# claim (None when none was ordered), whether one is offered to it now, and ordering one (returns the
# kit's summary and whether it was ordered just now; raises ``return_kit_not_offered``).
return_kit_summary: Registry[Callable[[Claim], dict[str, Any] | None]] = Registry(
    "claims.return_kit_summary", single=True
)
return_kit_offered: Registry[Callable[[Claim], bool]] = Registry("claims.return_kit_offered", single=True)
return_kit_order: Registry[Callable[[Claim], tuple[dict[str, Any], bool]]] = Registry(
    "claims.return_kit_order", single=True
)

# A customer asked for their status links (``status_links_request``): told the recalls of the address's
# claims and the channel (``Channel``), for the regulator's count of consumers who contacted the programme.
status_links_requested: Registry[Callable[[list[int], str], None]] = Registry("claims.status_links_requested")
