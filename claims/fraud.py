"""The checks that hold a new claim for an agent when it looks farmed.

Each check returns findings: which claim to flag, why, and the sentence an agent reads on it. None of
them refuses a customer: a flagged claim waits in the review queue (``services.claim_flag``). They run
in the new claim's transaction, after ``take_turns`` has made claims that could match one another wait
for each other, so a burst of farmed claims sees itself.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .labels import LabelCheck
from .models import RELEASED_STATUSES, Claim, ClaimDocument, ClaimFlag
from .selectors import claims_sharing_contact

Reason = ClaimFlag.Reason

# Neighbouring serials count when claimed within this time of each other.
NEIGHBOURS_WITHIN = datetime.timedelta(days=1)
# At most this many matches of one check are recorded on a claim: enough for an agent to see a pattern.
MATCHES_SHOWN = 10
# Receipt images are compared by their bytes only (see uploads.clean_upload), PDFs by what they draw.
_DOCUMENT_REASONS: dict[str, tuple[str, str]] = {
    ClaimDocument.Kind.PROOF_OF_PURCHASE: (Reason.DUPLICATE_RECEIPT, "receipt"),
    ClaimDocument.Kind.PRODUCT_PHOTO: (Reason.DUPLICATE_PHOTO, "photo"),
}


@dataclass(frozen=True)
class Finding:
    claim_id: int
    reason: str
    detail: str
    related_claim_id: int | None = None


def _serial_number(claim: Claim) -> tuple[str, int, int, int] | None:
    """The claim's serial as a prefix and the number its trailing digits make, with their count, and
    the neighbour distance; None where the rule does not apply (no serial, no digits, switched off)."""
    distance, serial = settings.NEIGHBOURING_SERIAL_DISTANCE, claim.serial
    digits = len(serial) - len(serial.rstrip("0123456789"))
    if distance <= 0 or digits == 0:
        return None
    return serial[:-digits], int(serial[-digits:]), digits, distance


def _neighbourhoods(claim: Claim) -> list[str]:
    """Lock keys such that two serials at most ``NEIGHBOURING_SERIAL_DISTANCE`` apart share one: the
    buckets (wider than twice the distance) of the number minus and plus the distance."""
    split = _serial_number(claim)
    if split is None:
        return []
    prefix, number, digits, distance = split
    bucket = 2 * distance + 1
    return sorted(
        {
            f"serial:{claim.model_id}:{prefix}:{digits}:{n // bucket}"
            for n in (number - distance, number + distance)
        }
    )


def take_turns(claim: Claim, documents: list[ClaimDocument]) -> None:
    """Claims that could match one another take turns, so each sees the ones before it instead of all
    being approved unseen: the same e-mail or address, the same or a near-identical document, a
    neighbouring serial.

    PostgreSQL: transaction-scoped advisory locks on the hashes of those facts, taken in one order so
    two claims never wait on each other. SQLite runs one writing transaction at a time already.
    """
    if connection.vendor != "postgresql":
        return
    keys = turn_keys(claim, documents)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(keys)), keys)


def turn_facts(claim: Claim, documents: list[ClaimDocument]) -> list[str]:
    """What another claim could share with this one, each a fact two matching claims state alike."""
    facts = [f"email:{claim.email_key}", f"address:{claim.address_key}", *_neighbourhoods(claim)]
    for document in documents:
        facts.append(f"document:{document.kind}:{document.sha256}")
        if document.content_sha256:
            facts.append(f"drawn:{document.kind}:{document.content_sha256}")
        for band, value in ClaimDocument.fingerprint_bands(document.fingerprint).items():
            facts.append(f"fingerprint:{document.kind}:{band}:{value}")
    return facts


def turn_keys(claim: Claim, documents: list[ClaimDocument]) -> list[int]:
    """The advisory lock keys of those facts: 60-bit hashes (a PostgreSQL bigint), in one order."""
    return sorted(
        {int(hashlib.sha256(fact.encode()).hexdigest()[:15], 16) for fact in turn_facts(claim, documents)}
    )


def findings_for(claim: Claim, documents: list[ClaimDocument]) -> list[Finding]:
    """Every reason to hold the new claim, and the earlier claims it implicates."""
    return [
        *_same_documents(claim, documents),
        *_many_claims_from_contact(claim),
        *_neighbouring_serials(claim),
        *_label_serial(claim, documents),
    ]


def _fingerprint_distance(one: str, other: str) -> int:
    return (int(one, 16) ^ int(other, 16)).bit_count()


def _same_documents(claim: Claim, documents: list[ClaimDocument]) -> list[Finding]:
    """A receipt or photo sent with another claim: the same bytes, the same drawn pages (a PDF re-saved
    or with a byte added), or a near copy of the picture (re-saved, resized), found through the
    fingerprint's band indexes."""
    findings = []
    for document in documents:
        reason, noun = _DOCUMENT_REASONS[document.kind]
        same = Q(sha256=document.sha256)
        if document.content_sha256:
            same |= Q(content_sha256=document.content_sha256)
        bands = ClaimDocument.fingerprint_bands(document.fingerprint)
        for band, value in bands.items():
            same |= Q(**{band: value})
        candidates = (
            ClaimDocument.objects.filter(same, kind=document.kind)
            .exclude(claim_id=claim.pk)
            .values_list("claim_id", "claim__reference", "sha256", "content_sha256", "fingerprint")
            .order_by("claim_id")
        )
        matches = []
        for other_id, reference, sha256, drawn, fingerprint in candidates:
            if sha256 == document.sha256:
                matches.append((other_id, reference, ""))
            elif document.content_sha256 and drawn == document.content_sha256:
                matches.append((other_id, reference, " (the same pages, saved differently)"))
            elif bands and fingerprint:
                distance = _fingerprint_distance(document.fingerprint, fingerprint)
                if distance <= settings.NEAR_DUPLICATE_IMAGE_DISTANCE:
                    matches.append(
                        (other_id, reference, f" (a near copy: {distance} of 64 fingerprint bits differ)")
                    )
        for other_id, reference, how in matches[:MATCHES_SHOWN]:
            findings.append(
                Finding(claim.pk, reason, f"The same {noun} was sent with claim {reference}{how}.", other_id)
            )
            findings.append(
                Finding(
                    other_id, reason, f"The same {noun} was sent with claim {claim.reference}{how}.", claim.pk
                )
            )
    return findings


def _many_claims_from_contact(claim: Claim) -> list[Finding]:
    """Many claims from one e-mail or one address (as their keys compare them: ``farmer+2@`` is
    ``farmer@``): possible, for a shop or a family, but worth a look. The earlier claims from that
    contact are held too (those not held for it already): the farm is all of them."""
    others = claims_sharing_contact(claim=claim)
    count = others.count()
    if count < settings.CLAIMS_PER_CONTACT_BEFORE_REVIEW:
        return []
    detail = f"{count} other open claims share this e-mail or address."
    findings = [Finding(claim.pk, Reason.MANY_CLAIMS_FROM_CONTACT, detail)]
    not_held = others.exclude(flags__reason=Reason.MANY_CLAIMS_FROM_CONTACT).order_by("pk")
    for other_id in not_held.values_list("pk", flat=True)[:MATCHES_SHOWN]:
        findings.append(
            Finding(
                other_id,
                Reason.MANY_CLAIMS_FROM_CONTACT,
                f"Claim {claim.reference} and {count - 1} more share this e-mail or address.",
                claim.pk,
            )
        )
    return findings


def _neighbouring_serials(claim: Claim) -> list[Finding]:
    """Serials a few numbers apart, claimed within a day by different contacts: a farmer guessing the
    serials next to one they have seen. Both claims are held."""
    split = _serial_number(claim)
    if split is None:
        return []
    prefix, number, digits, distance = split
    low = prefix + str(max(number - distance, 0)).zfill(digits)
    high = prefix + str(min(number + distance, 10**digits - 1)).zfill(digits)
    # The same conditions as the one-open-claim-per-serial index, so the range is read from it.
    neighbours = (
        Claim.objects.filter(model_id=claim.model_id, serial__gte=low, serial__lte=high)
        .exclude(serial="")
        .exclude(status__in=RELEASED_STATUSES)
        .exclude(pk=claim.pk)
        .filter(created_at__gte=timezone.now() - NEIGHBOURS_WITHIN)
        .exclude(email_key=claim.email_key)
        .exclude(address_key=claim.address_key)
        .values_list("pk", "reference", "serial")
        .order_by("serial")
    )
    findings = []
    for other_id, reference, serial in neighbours[: MATCHES_SHOWN * 2]:
        if len(serial) != len(claim.serial):
            continue
        findings.append(
            Finding(
                claim.pk,
                Reason.NEIGHBOURING_SERIALS,
                f"Serial {serial}, next to this one, was claimed by another contact (claim {reference}).",
                other_id,
            )
        )
        findings.append(
            Finding(
                other_id,
                Reason.NEIGHBOURING_SERIALS,
                f"Serial {claim.serial}, next to this one, was claimed by another contact "
                f"(claim {claim.reference}).",
                claim.pk,
            )
        )
    return findings[: MATCHES_SHOWN * 2]


def _label_serial(claim: Claim, documents: list[ClaimDocument]) -> list[Finding]:
    """The serial printed on the photographed label is not the one claimed."""
    return [
        Finding(
            claim.pk,
            Reason.LABEL_SERIAL_DIFFERS,
            f"The label in the photo reads {document.label_serial}; the claim gives {claim.serial}.",
        )
        for document in documents
        if document.label_check == LabelCheck.DIFFERS
    ]
