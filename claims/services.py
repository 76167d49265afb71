"""Every write to a claim, and the rules that decide it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.api import ApplicationError, in_sentence
from recalls.countries import country_label
from recalls.models import MarketRule, ProductModel, Recall, Remedy
from recalls.selectors import batch_covering_serial, market_rule_get, recall_for_model_in_country
from recalls.services import country_require, product_model_require, serial_require

from . import signals
from .models import (
    RELEASED_STATUSES,
    TRANSITIONS,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimFlag,
    ClaimStatus,
    hash_token,
)
from .references import new_access_token, new_claim_reference
from .uploads import CleanUpload, clean_upload

logger = logging.getLogger(__name__)

Actor = ClaimEvent.Actor


def normalise_email(email: str) -> str:
    """Stored lower-cased: one customer, one address, however they typed it."""
    return email.strip().lower()


def _validation_error(field_name: str, message: str) -> ApplicationError:
    return ApplicationError.invalid_fields({field_name: [message]})


# --- Status changes -------------------------------------------------------------------------------


def claim_transition(
    *,
    claim: Claim,
    to: str,
    actor_kind: str,
    actor_id: str = "",
    note: str = "",
    note_params: dict[str, str] | None = None,
    public: bool = True,
) -> Claim:
    """Move a claim to ``to`` if the transition table allows it, writing its event.

    ``note`` is an agent's free text, or with ``note_params`` a message of the system (see ``ClaimEvent``).
    The caller holds the claim's row lock (``claim_lock``) inside a transaction.
    """
    return claim_advance(
        claim=claim,
        path=[to],
        actor_kind=actor_kind,
        actor_id=actor_id,
        note=note,
        note_params=note_params,
        public=public,
    )


def claim_advance(
    *,
    claim: Claim,
    path: Sequence[str],
    actor_kind: str,
    actor_id: str = "",
    note: str = "",
    note_params: dict[str, str] | None = None,
    public: bool = True,
    cause: Sequence[ClaimEvent] = (),
) -> Claim:
    """Move a claim through ``path``, every step checked against the transition table, in one write.

    One UPDATE and one INSERT of all events: the status changes, with ``cause`` (events that moved the
    claim, such as the remedy issued) written just before the last step. ``note`` goes on the first step.
    The caller holds the claim's row lock (``claim_lock``) inside a transaction.
    """
    events, status = [], claim.status
    for step, to in enumerate(path):
        if to not in TRANSITIONS[status]:
            raise ApplicationError(
                "invalid_transition",
                # Translators: the claim status labels, their first letter in lower case.
                _("A claim that is %(status)s cannot become %(new_status)s.")
                % {
                    "status": in_sentence(ClaimStatus(status).label),
                    "new_status": in_sentence(ClaimStatus(to).label),
                },
                status_code=409,
            )
        if step == len(path) - 1:
            events += cause
        events.append(
            ClaimEvent(
                claim=claim,
                kind=ClaimEvent.Kind.STATUS_CHANGED,
                actor_kind=actor_kind,
                actor_id=actor_id,
                old_status=status,
                new_status=to,
                note=note if step == 0 else "",
                note_params=note_params if step == 0 else None,
                public=public,
            )
        )
        status = to
    claim.status, claim.updated_at = status, timezone.now()
    Claim.objects.filter(pk=claim.pk).update(status=claim.status, updated_at=claim.updated_at)
    ClaimEvent.objects.bulk_create(events)
    for event in events:
        if event.kind == ClaimEvent.Kind.STATUS_CHANGED:
            signals.send_on_commit(
                signals.claim_status_changed,
                Claim,
                claim_id=claim.pk,
                old=event.old_status,
                new=event.new_status,
            )
    return claim


def claim_lock(*, claim_id: int) -> Claim:
    # Only the claim's row, and FOR NO KEY UPDATE: new claims and events referencing the recall, the
    # model or this claim must not wait for it.
    return (
        Claim.objects.select_for_update(of=("self",), no_key=True)
        .select_related("recall", "model")
        .get(pk=claim_id)
    )


def _market_rule(claim: Claim) -> MarketRule | None:
    return market_rule_get(recall=claim.recall, country=claim.country)


def _approve_locked(
    claim: Claim,
    *,
    actor_kind: str,
    actor_id: str = "",
    note: str = "",
    note_params: dict[str, str] | None = None,
    rule: MarketRule | None = None,
) -> Claim:
    claim_transition(
        claim=claim,
        to=ClaimStatus.APPROVED,
        actor_kind=actor_kind,
        actor_id=actor_id,
        note=note,
        note_params=note_params,
    )
    rule = rule or _market_rule(claim)
    if rule is not None and rule.disposal_before_remedy:
        claim_transition(
            claim=claim,
            to=ClaimStatus.AWAITING_DISPOSAL,
            actor_kind=Actor.SYSTEM,
            note=gettext_noop(
                "The remedy is issued once a certified recycling centre confirms the unit's disposal."
            ),
            note_params={},
        )
    else:
        claim_remedy_due(claim=claim)
    return claim


def claim_remedy_due(*, claim: Claim) -> None:
    """Once committed, have the remedy issued (the claims app's receiver queues the task)."""
    signals.send_on_commit(signals.remedy_due, Claim, claim_id=claim.pk)


def claim_approve(*, claim: Claim, agent_id: str, note: str = "") -> Claim:
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        return _approve_locked(claim, actor_kind=Actor.AGENT, actor_id=agent_id, note=note)


def claim_reject(*, claim: Claim, agent_id: str, reason: str) -> Claim:
    if not reason.strip():
        raise _validation_error("reason", _("Say why the claim is rejected; the customer is told."))
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        return claim_transition(
            claim=claim,
            to=ClaimStatus.REJECTED,
            actor_kind=Actor.AGENT,
            actor_id=agent_id,
            note=reason.strip(),
        )


def claim_mark_for_review(*, claim: Claim, agent_id: str, note: str = "") -> Claim:
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        return claim_transition(
            claim=claim,
            to=ClaimStatus.NEEDS_REVIEW,
            actor_kind=Actor.AGENT,
            actor_id=agent_id,
            note=note,
            public=False,
        )


def claim_cancel(*, claim: Claim) -> Claim:
    """The customer withdraws the claim; possible until the remedy is being issued."""
    with transaction.atomic():
        claim = claim_lock(claim_id=claim.pk)
        return claim_transition(claim=claim, to=ClaimStatus.CANCELLED, actor_kind=Actor.CUSTOMER)


def claim_flag(*, claim: Claim, reason: str, detail: str = "", related_claim: Claim | None = None) -> Claim:
    """Record why a claim needs a human; an approved claim not yet being fulfilled goes back to review.

    The caller holds the claim's row lock inside a transaction.
    """
    ClaimFlag.objects.create(claim=claim, reason=reason, detail=detail, related_claim=related_claim)
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.FLAGGED,
        actor_kind=Actor.SYSTEM,
        note=f"{ClaimFlag.Reason(reason).label}. {detail}".strip(),
        public=False,
    )
    if ClaimStatus.NEEDS_REVIEW in TRANSITIONS[claim.status]:
        claim_transition(
            claim=claim,
            to=ClaimStatus.NEEDS_REVIEW,
            actor_kind=Actor.SYSTEM,
            note=gettext_noop("Held for a check by our support team."),
            note_params={},
        )
    return claim


# --- Submission -----------------------------------------------------------------------------------


@dataclass
class ClaimSubmission:
    model_number: str
    country: str
    remedy: str
    name: str
    email: str
    address_line1: str
    city: str
    postal_code: str
    serial: str = ""
    phone: str = ""
    address_line2: str = ""
    proof_of_purchase: UploadedFile | None = None
    product_photo: UploadedFile | None = None
    language: str = "en"


@dataclass
class SubmittedClaim:
    claim: Claim
    access_token: str = field(repr=False)


@dataclass
class _Decision:
    recall: Recall
    market_rule: MarketRule
    serial_recalled: bool


def _decide_recall(
    *, model: ProductModel, serial: str, country: str, remedy: str, has_proof: bool
) -> _Decision:
    """Which recall the claim falls under; every 400 before a 422, as the API promises."""
    coverage = batch_covering_serial(model=model, serial=serial, country=country) if serial else None
    if coverage is not None:
        recall, rule = coverage.recall, coverage.market_rule
    else:
        recall = recall_for_model_in_country(model=model, country=country)
        rule = market_rule_get(recall=recall, country=country) if recall is not None else None
    if recall is None:
        raise _validation_error(
            "model_number",
            _("No active recall covers model %(model)s in %(country)s.")
            % {"model": model.model_number, "country": country_label(country)},
        )
    offered = rule.remedies if rule else []
    if remedy not in offered:
        remedies = ", ".join(str(Remedy(code).label) for code in offered) or _("nothing yet")
        raise _validation_error(
            "remedy",
            _("In %(country)s this recall offers: %(remedies)s.")
            % {"country": country_label(country), "remedies": remedies},
        )
    if coverage is None and serial and not has_proof:
        raise ApplicationError(
            "serial_not_recalled",
            _(
                "This serial number is not in a recalled batch for your country. "
                "If you believe your unit is affected, send a proof of purchase with your claim."
            ),
            status_code=422,
            fields={"serial": [_("Not in a recalled batch for this country.")]},
        )
    return _Decision(recall=recall, market_rule=rule, serial_recalled=coverage is not None)


def _store_documents(claim: Claim, cleaned: dict[str, CleanUpload], stored: list[str]) -> None:
    for kind, upload in cleaned.items():
        document = ClaimDocument(
            claim=claim,
            kind=kind,
            content_type=upload.content_type,
            sha256=upload.sha256,
            size=upload.size,
            width=upload.width,
            height=upload.height,
        )
        document.file.save("upload", ContentFile(upload.content), save=False)
        stored.append(document.file.name)
        document.save()


def _flag_duplicate_receipts(claim: Claim, cleaned: dict[str, CleanUpload]) -> bool:
    proof = cleaned.get(ClaimDocument.Kind.PROOF_OF_PURCHASE)
    if proof is None:
        return False
    others = (
        ClaimDocument.objects.filter(kind=ClaimDocument.Kind.PROOF_OF_PURCHASE, sha256=proof.sha256)
        .exclude(claim=claim)
        .values_list("claim_id", flat=True)
    )
    flagged = False
    for other in Claim.objects.select_for_update().filter(pk__in=list(others)).order_by("pk"):
        detail_other = f"The same receipt was sent with claim {claim.reference}."
        claim_flag(
            claim=other, reason=ClaimFlag.Reason.DUPLICATE_RECEIPT, detail=detail_other, related_claim=claim
        )
        claim_flag(
            claim=claim,
            reason=ClaimFlag.Reason.DUPLICATE_RECEIPT,
            detail=f"The same receipt was sent with claim {other.reference}.",
            related_claim=other,
        )
        flagged = True
    return flagged


def _flag_many_claims_from_contact(claim: Claim) -> bool:
    """Many claims from one e-mail or one address: possible, for a shop or a family, but worth a look."""
    limit = settings.CLAIMS_PER_CONTACT_BEFORE_REVIEW
    # E-mail and postal code are stored normalised, so both lookups use their indexes.
    same_contact = Q(email=claim.email) | Q(
        country=claim.country, postal_code=claim.postal_code, address_line1__iexact=claim.address_line1
    )
    others = Claim.objects.filter(same_contact).exclude(pk=claim.pk).exclude(status__in=RELEASED_STATUSES)
    count = others.count()
    if count < limit:
        return False
    claim_flag(
        claim=claim,
        reason=ClaimFlag.Reason.MANY_CLAIMS_FROM_CONTACT,
        detail=f"{count} other open claims share this e-mail or address.",
    )
    return True


def _duplicate_serial() -> ApplicationError:
    return ApplicationError(
        "duplicate_serial",
        _("A claim for this serial number is already open."),
        status_code=409,
        fields={"serial": [_("This unit has already been claimed.")]},
    )


def claim_submit(*, submission: ClaimSubmission) -> SubmittedClaim:
    """Take a customer's claim: validate, store its documents, decide its first status.

    A serial found in a recalled batch for the claim's country is approved at once unless the claim is
    flagged; a proof-only or flagged claim waits for an agent.
    """
    model = product_model_require(model_number=submission.model_number)
    country = country_require(country=submission.country)
    serial = serial_require(model=model, serial=submission.serial) if submission.serial.strip() else ""
    uploads = {
        ClaimDocument.Kind.PROOF_OF_PURCHASE: submission.proof_of_purchase,
        ClaimDocument.Kind.PRODUCT_PHOTO: submission.product_photo,
    }
    if not serial and uploads[ClaimDocument.Kind.PROOF_OF_PURCHASE] is None:
        raise _validation_error("serial", _("Give the unit's serial number or attach a proof of purchase."))
    cleaned = {kind: clean_upload(f, field=kind) for kind, f in uploads.items() if f is not None}

    decision = _decide_recall(
        model=model,
        serial=serial,
        country=country,
        remedy=submission.remedy,
        has_proof=ClaimDocument.Kind.PROOF_OF_PURCHASE in cleaned,
    )
    token = new_access_token()
    for _attempt in range(5):
        claim = _new_claim(
            submission, model=model, country=country, serial=serial, decision=decision, token=token
        )
        stored: list[str] = []
        try:
            with transaction.atomic():
                # The first write: if the database refuses it, there is nothing else to undo.
                claim.save()
                ClaimEvent.objects.create(
                    claim=claim,
                    kind=ClaimEvent.Kind.SUBMITTED,
                    actor_kind=Actor.CUSTOMER,
                    new_status=claim.status,
                )
                _store_documents(claim, cleaned, stored)
                flagged = _flag_duplicate_receipts(claim, cleaned)
                flagged = _flag_many_claims_from_contact(claim) or flagged
                if decision.serial_recalled and not flagged:
                    _approve_locked(
                        claim,
                        actor_kind=Actor.SYSTEM,
                        note=gettext_noop("The serial is in a recalled batch."),
                        note_params={},
                        rule=decision.market_rule,
                    )
                signals.send_on_commit(signals.claim_submitted, Claim, claim_id=claim.pk)
            return SubmittedClaim(claim=claim, access_token=token)
        except IntegrityError:
            _delete_stored(stored)
            # duplicate_serial is held by a unique index, so it holds under concurrency too.
            if (
                serial
                and Claim.objects.filter(model=model, serial=serial)
                .exclude(status__in=RELEASED_STATUSES)
                .exists()
            ):
                raise _duplicate_serial() from None
            if not Claim.objects.filter(reference=claim.reference).exists():
                raise
            # 40 random bits of the reference collided: draw again.
        except BaseException:
            _delete_stored(stored)
            raise
    raise RuntimeError("Could not draw a free claim reference.")


def _delete_stored(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _new_claim(
    submission: ClaimSubmission,
    *,
    model: ProductModel,
    country: str,
    serial: str,
    decision: _Decision,
    token: str,
) -> Claim:
    return Claim(
        reference=new_claim_reference(),
        recall=decision.recall,
        model=model,
        serial=serial,
        country=country,
        remedy=submission.remedy,
        serial_recalled=decision.serial_recalled,
        customer_name=submission.name.strip(),
        email=normalise_email(submission.email),
        phone=submission.phone.strip(),
        address_line1=submission.address_line1.strip(),
        address_line2=submission.address_line2.strip(),
        city=submission.city.strip(),
        postal_code=submission.postal_code.strip().upper(),
        language=submission.language,
        access_token_hash=hash_token(token),
    )


def claim_get_for_token(*, reference: str, token: str) -> Claim:
    """The claim, if the token is its own; otherwise ``not_found`` (its existence is not disclosed)."""
    claim = (
        Claim.objects.select_related("recall", "model").filter(reference=reference.strip().upper()).first()
    )
    if claim is None or not token or not claim.token_matches(token):
        raise ApplicationError("not_found", _("No claim with this reference and token."), status_code=404)
    return claim
