from __future__ import annotations

import datetime
import math
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.extensions import NearestCentres
from claims.models import Claim, ClaimStatus, UnitCondition
from core.errors import ApplicationError
from recalls.selectors import market_rule_get

from .models import DisposalConfirmation, FacilityCertification, RecyclingFacility, ReturnKit
from .places import city_place


class PlaceUnknown(ApplicationError):
    """The gazetteer knows no city of this name in this country (a 400 on ``city``)."""

    def __init__(self, city: str, country: str | None) -> None:
        message = (
            _("No city called %(city)s is known in %(country)s.") % {"city": city, "country": country}
            if country
            else _("A city needs its country.")
        )
        super().__init__("validation_error", _("The request has invalid fields."), fields={"city": [message]})


EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def facility_list_public(
    *,
    country: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    city: str | None = None,
) -> list[RecyclingFacility]:
    """Certified facilities that accept lithium-ion; nearest first when a position or a city is given
    (a city is placed in ``country``; ``PlaceUnknown`` if the gazetteer has no such city)."""
    if city and lat is None:
        if not country:
            raise PlaceUnknown(city, country)
        place = city_place(city=city, country=country)
        if place is None:
            raise PlaceUnknown(city, country)
        lat, lon = place.latitude, place.longitude
    facilities: QuerySet[RecyclingFacility] = RecyclingFacility.objects.certified().prefetch_related(
        Prefetch("certifications", queryset=FacilityCertification.objects.order_by("-expires_on"))
    )
    if country:
        facilities = facilities.filter(country=country)
    found = list(facilities.order_by("name", "pk"))
    if lat is None or lon is None:
        return found
    located = [f for f in found if f.latitude is not None and f.longitude is not None]
    for facility in located:
        facility.distance_km = round(
            distance_km(lat, lon, facility.latitude or 0.0, facility.longitude or 0.0), 1
        )
    return sorted(located, key=lambda f: f.distance_km or 0.0) + [f for f in found if f not in located]


NEAREST_CENTRES = 3


def nearest_centres(country: str, city: str = "") -> NearestCentres:
    """The centres nearest ``city`` in ``country``; alphabetical in the country if the city is unknown."""
    if city:
        try:
            return NearestCentres(
                facility_list_public(country=country, city=city)[:NEAREST_CENTRES], near=city
            )
        except PlaceUnknown:
            return NearestCentres(facility_list_public(country=country)[:NEAREST_CENTRES], city_unknown=city)
    return NearestCentres(facility_list_public(country=country)[:NEAREST_CENTRES])


def disposal_list_for_facility(*, facility: RecyclingFacility) -> QuerySet[DisposalConfirmation]:
    return DisposalConfirmation.objects.filter(facility=facility).select_related("claim")


def disposal_status_for_claim(claim: Claim) -> dict[str, Any]:
    confirmation = DisposalConfirmation.objects.filter(claim=claim).select_related("facility").first()
    if confirmation is None:
        return {"status": "pending", "facility": None, "confirmed_at": None}
    return {
        "status": "confirmed",
        "facility": confirmation.facility.name,
        "confirmed_at": confirmation.received_at,
    }


def nearest_facilities_email_section(claim: Claim) -> str:
    facilities = nearest_centres(claim.country, claim.city).centres
    return render_to_string("disposal/email/nearest_facilities.txt", {"facilities": facilities})


# --- Return kits by mail ------------------------------------------------------------------------

# A kit is offered once the claim is accepted, for as long as the unit is not handed in: a claim in
# review, rejected or cancelled is sent none.
RETURN_KIT_STATUSES = (
    ClaimStatus.APPROVED,
    ClaimStatus.AWAITING_DISPOSAL,
    ClaimStatus.FULFILLING,
    ClaimStatus.FULFILLED,
)


def certified_centre_within(*, country: str, city: str, radius_km: float) -> bool:
    """Whether a certified centre of ``country`` lies within ``radius_km`` of ``city``. A city the
    gazetteer cannot place has no centre known to be near it."""
    place = city_place(city=city, country=country) if city.strip() else None
    if place is None:
        return False
    return any(
        facility.distance_km is not None and facility.distance_km <= radius_km
        for facility in facility_list_public(country=country, lat=place.latitude, lon=place.longitude)
    )


def return_kit_reason(claim: Claim) -> str | None:
    """Why a return kit is offered to the claim now (a ``ReturnKit.Reason``), or None: its market sends
    kits by mail (``return_by_mail``), the unit is not handed in yet, and it is damaged or swollen, or no
    certified centre lies within ``RETURN_KIT_RADIUS_KM`` of the customer's city."""
    if claim.status not in RETURN_KIT_STATUSES or claim.disposal_confirmed_at is not None:
        return None
    rule = market_rule_get(recall=claim.recall, country=claim.country)
    if rule is None or not rule.return_by_mail:
        return None
    if claim.unit_condition == UnitCondition.DAMAGED:
        return ReturnKit.Reason.DAMAGED
    if claim.unit_condition == UnitCondition.SWOLLEN:
        return ReturnKit.Reason.SWOLLEN
    if not certified_centre_within(
        country=claim.country, city=claim.city, radius_km=settings.RETURN_KIT_RADIUS_KM
    ):
        return ReturnKit.Reason.NO_CENTRE_NEAR
    return None


def return_kit_offered(claim: Claim) -> bool:
    """A kit may be ordered for the claim now (one ordered already is not offered again)."""
    return not ReturnKit.objects.filter(claim=claim).exists() and return_kit_reason(claim) is not None


def return_kit_summary(kit: ReturnKit) -> dict[str, Any]:
    return {
        "status": kit.status,
        "tracking_number": kit.tracking_number or None,
        "ordered_at": kit.ordered_at,
        "shipped_at": kit.shipped_at,
        "returned_at": kit.returned_at,
    }


def return_kit_for_claim(claim: Claim) -> dict[str, Any] | None:
    """The API's ``return_kit`` of a claim: null when none was ordered."""
    kit = ReturnKit.objects.filter(claim=claim).first()
    return return_kit_summary(kit) if kit is not None else None


def return_kits_overdue(
    kits: QuerySet[ReturnKit] | None = None, *, now: datetime.datetime | None = None
) -> QuerySet[ReturnKit]:
    """Kits shipped more than ``RETURN_KIT_OVERDUE_DAYS`` ago whose unit no centre has confirmed."""
    now = now or timezone.now()
    kits = kits if kits is not None else ReturnKit.objects.all()
    return kits.filter(
        status=ReturnKit.Status.SHIPPED,
        shipped_at__lt=now - datetime.timedelta(days=settings.RETURN_KIT_OVERDUE_DAYS),
    )
