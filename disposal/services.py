"""Writes of the disposal app: facilities, their tokens, and confirmations that release claims."""

from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from claims.models import Claim, ClaimEvent, ClaimFlag, ClaimStatus
from claims.outbox import claim_email_owe
from claims.references import normalise_reference
from claims.services import claim_flag, claim_lock, claim_transition
from core.errors import ApplicationError, Conflict, Forbidden, NotFound, Refused
from core.models import OutboxMessage
from core.outbox import PermanentDeliveryError, outbox_put, webhook_post
from core.recovery import log_event
from recalls.countries import is_country, normalise_country
from recalls.selectors import batch_covering_serial
from recalls.services import serial_require

from .models import (
    DisposalConfirmation,
    FacilityCertification,
    RecyclingFacility,
    ReturnKit,
    hash_facility_token,
)
from .selectors import nearest_centres, return_kit_reason, return_kit_summary

logger = logging.getLogger(__name__)

# A received_at this far ahead of the server's clock is a typo, not clock skew.
CLOCK_SKEW = datetime.timedelta(minutes=10)

# The timeline's note for each condition of a unit handed in: whole sentences, for translators.
HANDED_IN_NOTES: dict[str, str] = {
    DisposalConfirmation.Condition.INTACT: gettext_noop("Handed in at %(facility)s (intact)."),
    DisposalConfirmation.Condition.DAMAGED: gettext_noop("Handed in at %(facility)s (damaged)."),
    DisposalConfirmation.Condition.SWOLLEN: gettext_noop("Handed in at %(facility)s (swollen)."),
}


@dataclass(frozen=True)
class Certification:
    scheme: str
    number: str
    expires_on: datetime.date

    @classmethod
    def parse(cls, value: str) -> Certification:
        """``SCHEME:NUMBER:YYYY-MM-DD``, e.g. ``R2:R2-12345:2027-03-31``."""
        try:
            scheme, number, expires = value.rsplit(":", 2)
            return cls(scheme.strip(), number.strip(), datetime.date.fromisoformat(expires.strip()))
        except ValueError:
            raise ApplicationError(
                "validation_error",
                _("%(value)s is not SCHEME:NUMBER:YYYY-MM-DD (e.g. R2:R2-12345:2027-03-31).")
                % {"value": repr(value)},
            ) from None


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def facility_create(
    *,
    name: str,
    country: str,
    certifications: list[Certification],
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    accepts_lithium_ion: bool = True,
    is_demo: bool = False,
) -> tuple[RecyclingFacility, str]:
    """Create a facility; returns it and its API token, which is not stored and cannot be shown again."""
    country = normalise_country(country)
    if not is_country(country):
        raise ApplicationError(
            "validation_error",
            _("%(country)s is not an ISO 3166-1 alpha-2 country code.") % {"country": repr(country)},
        )
    if not name.strip():
        raise ApplicationError("validation_error", _("A facility needs a name."))
    if (latitude is None) != (longitude is None):
        raise ApplicationError("validation_error", _("Give both latitude and longitude, or neither."))
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise ApplicationError("validation_error", _("Latitude is -90..90 and longitude -180..180."))
    if not certifications:
        raise ApplicationError("validation_error", _("A facility needs at least one certification."))
    token = _new_token()
    with transaction.atomic():
        facility = RecyclingFacility.objects.create(
            name=name.strip(),
            country=country,
            address=address.strip(),
            latitude=latitude,
            longitude=longitude,
            accepts_lithium_ion=accepts_lithium_ion,
            is_demo=is_demo,
            api_token_hash=hash_facility_token(token),
        )
        for cert in certifications:
            FacilityCertification.objects.create(
                facility=facility, scheme=cert.scheme, number=cert.number, expires_on=cert.expires_on
            )
    return facility, token


def facility_token_rotate(*, facility: RecyclingFacility) -> str:
    """A new token for the facility; the old one stops working at once."""
    token = _new_token()
    facility.api_token_hash = hash_facility_token(token)
    facility.token_rotated_at = timezone.now()
    facility.save(update_fields=["api_token_hash", "token_rotated_at"])
    return token


def facility_for_token(*, token: str) -> RecyclingFacility | None:
    if not token:
        return None
    return RecyclingFacility.objects.filter(api_token_hash=hash_facility_token(token)).first()


@dataclass(frozen=True)
class DisposalResult:
    confirmation: DisposalConfirmation
    created: bool


def disposal_confirm(
    *,
    facility: RecyclingFacility,
    claim_reference: str,
    serial: str,
    condition: str,
    received_at: datetime.datetime | None = None,
) -> DisposalResult:
    """Record that ``facility`` took back the claim's unit, and release a claim held for disposal.

    A unit is accepted whatever its claim's status: a dangerous unit taken back is always recorded.
    The same facility confirming again gets its first record back, unchanged.
    """
    if received_at is not None and received_at > timezone.now() + CLOCK_SKEW:
        raise ApplicationError.invalid_fields({"received_at": [_("Is in the future.")]})
    if not facility.is_certified():
        raise Forbidden(
            "facility_not_certified",
            _("This facility is inactive, does not take lithium-ion, or its certification has expired."),
        )
    claim = (
        Claim.objects.select_related("model").filter(reference=normalise_reference(claim_reference)).first()
    )
    if claim is None:
        raise NotFound("not_found", _("No claim with this reference."))
    observed = serial_require(model=claim.model, serial=serial)

    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        existing = DisposalConfirmation.objects.filter(claim=claim).select_related("facility").first()
        if existing is not None and existing.facility_id == facility.pk:
            return DisposalResult(existing, created=False)
        # Before any serial comparison: a second facility must not learn whether a guessed serial is right.
        if existing is not None:
            raise Conflict("already_disposed", _("Another facility has confirmed this unit's disposal."))
        if claim.serial and observed != claim.serial:
            raise Refused(
                "serial_mismatch",
                _("The unit's serial number is not the claim's."),
                fields={
                    "serial": [
                        _("The claim is for another unit of model %(model)s.")
                        % {"model": claim.model.model_number}
                    ]
                },
            )
        try:
            with transaction.atomic():
                confirmation = DisposalConfirmation.objects.create(
                    claim=claim,
                    facility=facility,
                    serial_observed=observed,
                    condition=condition,
                    received_at=received_at or timezone.now(),
                )
        except IntegrityError:  # the claim is locked, so only a bug or a manual insert gets here
            raise Conflict("already_disposed", _("This unit's disposal is already recorded.")) from None
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.DISPOSAL_CONFIRMED,
            actor_kind=ClaimEvent.Actor.FACILITY,
            actor_id=str(facility.pk),
            note=HANDED_IN_NOTES[condition],
            note_params={"facility": facility.name},
        )
        claim_email_owe(claim_id=claim.pk, template="disposal_confirmed")
        # A kit sent for this unit has done its job, whichever centre the unit reached.
        ReturnKit.objects.filter(claim=claim).exclude(status=ReturnKit.Status.RETURNED).update(
            status=ReturnKit.Status.RETURNED, returned_at=confirmation.received_at
        )
        # The claim knows its unit is gone, whatever its status: an approval later need not wait.
        claim.disposal_confirmed_at = confirmation.received_at
        Claim.objects.filter(pk=claim.pk).update(disposal_confirmed_at=claim.disposal_confirmed_at)
        flagged = _check_observed_serial(claim, observed) if not claim.serial else False
        if facility.country != claim.country:
            claim_flag(
                claim=claim,
                reason=ClaimFlag.Reason.DISPOSED_ABROAD,
                detail=f"Handed in at {facility.name} in {facility.country}; the claim is for {claim.country}.",
            )
            flagged = True
        if claim.status == ClaimStatus.AWAITING_DISPOSAL and not flagged:
            claim_transition(
                claim=claim,
                to=ClaimStatus.FULFILLING,
                actor_kind=ClaimEvent.Actor.FACILITY,
                actor_id=str(facility.pk),
                remedy_due=True,
            )
    log_event(
        logger,
        "disposal.confirmed",
        claim=claim.reference,
        facility=facility.pk,
        condition=condition,
        status=claim.status,
        flagged=flagged,
    )
    return DisposalResult(confirmation, created=True)


def _check_observed_serial(claim: Claim, observed: str) -> bool:
    """A proof-only claim learns its serial at the facility: record it, and flag what does not add up."""
    claim.serial = observed  # from now on, a new claim for this unit is a duplicate_serial
    try:
        with transaction.atomic():
            claim.save(update_fields=["serial"])
    except IntegrityError:  # another open claim holds this serial
        claim.serial = ""
        other = (
            Claim.objects.filter(model=claim.model, serial=observed)
            .exclude(status__in=[ClaimStatus.REJECTED, ClaimStatus.CANCELLED])
            .first()
        )
        claim_flag(
            claim=claim,
            reason=ClaimFlag.Reason.SERIAL_SEEN_ELSEWHERE,
            detail=f"Serial {observed} handed in here is claimed by {other.reference if other else 'another claim'}.",
            related_claim=other,
        )
        return True
    if batch_covering_serial(model=claim.model, serial=observed, country=claim.country) is None:
        claim_flag(
            claim=claim,
            reason=ClaimFlag.Reason.SERIAL_NOT_RECALLED,
            detail=f"Serial {observed} handed in is not in a recalled batch for {claim.country}.",
        )
        return True
    claim.serial_recalled = True
    claim.save(update_fields=["serial_recalled"])
    return False


# --- Return kits by mail ------------------------------------------------------------------------

# What the kit provider packs for every order: dangerous units travel one per package, by ground only.
RETURN_KIT_CONTENTS = [
    "fire-safe bag",
    "box marked for ground transport of a damaged lithium-ion battery (UN3480)",
    "prepaid return label to a certified recycling centre",
]


def shipping_address(claim: Claim) -> str:
    lines = [claim.address_line1, claim.address_line2, f"{claim.postal_code} {claim.city}", claim.region]
    return "\n".join(line for line in lines if line)


def return_kit_order(*, claim: Claim) -> tuple[ReturnKit, bool]:
    """Order a return kit for the claim from the kit provider, once: the kit ordered already is
    returned as it is (with False). ``return_kit_not_offered`` where the claim's market sends no kits,
    a centre is near and the unit is intact, or the claim is not (or no longer) one a kit is sent for."""
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        existing = ReturnKit.objects.filter(claim=claim).first()
        if existing is not None:
            return existing, False
        reason = return_kit_reason(claim)
        if reason is None:
            raise Conflict(
                "return_kit_not_offered",
                _(
                    "No return kit is offered for this claim: take the unit to a certified recycling "
                    "centre near you."
                ),
            )
        centres = nearest_centres(claim.country, claim.city).centres
        kit = ReturnKit.objects.create(claim=claim, reason=reason, return_to=centres[0] if centres else None)
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.NOTE,
            actor_kind=ClaimEvent.Actor.CUSTOMER,
            note=gettext_noop("Return kit ordered: a fire-safe bag and a box to post the unit back in."),
            note_params={},
        )
        if settings.RETURN_KIT_WEBHOOK_URL:
            outbox_put(topic=OutboxMessage.Topic.RETURN_KIT_ORDERED, payload=return_kit_payload(kit))
    log_event(logger, "return_kit.ordered", claim=claim.reference, reason=reason)
    return kit, True


def return_kit_payload(kit: ReturnKit) -> dict:
    """The kit provider's order: what to pack, where to send it, where the label returns it to."""
    claim, centre = kit.claim, kit.return_to
    return {
        "claim_reference": claim.reference,
        "contents": RETURN_KIT_CONTENTS,
        "un_number": "UN3480",
        "ship_to": {
            "name": claim.customer_name,
            "address": shipping_address(claim),
            "country": claim.country,
        },
        "return_to": {"name": centre.name, "address": centre.address, "country": centre.country}
        if centre is not None
        else None,
        "ordered_at": kit.ordered_at.isoformat(),
    }


def return_kit_mark_shipped(*, reference: str, tracking_number: str, carrier: str = "") -> ReturnKit:
    """The kit provider sent the kit: record its tracking number (the same one again changes nothing)."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise ApplicationError(
            "validation_error",
            _("A tracking number is needed."),
            fields={"tracking_number": [_("Required.")]},
        )
    with transaction.atomic():
        kit = (
            ReturnKit.objects.select_for_update()
            .select_related("claim")
            .filter(claim__reference=normalise_reference(reference))
            .first()
        )
        if kit is None:
            raise NotFound("not_found", _("No return kit for %(reference)s.") % {"reference": reference})
        if kit.tracking_number:
            if kit.tracking_number != tracking_number:
                raise Conflict(
                    "already_shipped",
                    _("%(reference)s shipped already with %(tracking)s.")
                    % {"reference": kit.claim.reference, "tracking": kit.tracking_number},
                )
            return kit
        kit.tracking_number, kit.carrier = tracking_number, carrier.strip()
        kit.shipped_at = timezone.now()
        fields = ["tracking_number", "carrier", "shipped_at"]
        if kit.status == ReturnKit.Status.ORDERED:  # a unit that arrived first stays returned
            kit.status = ReturnKit.Status.SHIPPED
            fields.append("status")
        kit.save(update_fields=fields)
        ClaimEvent.objects.create(
            claim=kit.claim,
            kind=ClaimEvent.Kind.NOTE,
            actor_kind=ClaimEvent.Actor.SYSTEM,
            note=gettext_noop("Return kit sent, tracking number %(tracking)s."),
            note_params={"tracking": tracking_number},
        )
    log_event(logger, "return_kit.shipped", claim=kit.claim.reference, tracking=tracking_number)
    return kit


def return_kit_webhook_deliver(message: OutboxMessage) -> int:
    """The kit provider hears of each kit ordered, by an HMAC-signed webhook."""
    if not settings.RETURN_KIT_WEBHOOK_URL:
        raise PermanentDeliveryError("RETURN_KIT_WEBHOOK_URL is not set.")
    return webhook_post(
        message, url=settings.RETURN_KIT_WEBHOOK_URL, secret=settings.RETURN_KIT_WEBHOOK_SECRET
    )


def return_kit_order_summary(claim: Claim) -> tuple[dict, bool]:
    """``return_kit_order`` as claims asks for it (its pages): the kit's summary, and whether it was
    ordered just now."""
    kit, created = return_kit_order(claim=claim)
    return return_kit_summary(kit), created
