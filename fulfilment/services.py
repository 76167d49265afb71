"""Services that issue remedies: gift cards, replacement orders and refunds, each exactly once.

Exactly-once comes from the database: the claim's row is locked and re-read, each remedy table allows
one row per claim, and the claim's status moves in the same transaction. Celery only delivers at least
once; running ``remedy_issue`` twice for a claim changes nothing the second time.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from claims.dispatch import remedy_issue_after_commit
from claims.models import REMEDY_DUE_STATUSES, Claim, ClaimEvent, ClaimStatus
from claims.outbox import claim_email_owe
from claims.references import CROCKFORD, normalise_reference, random_crockford
from claims.services import claim_advance, claim_lock, claim_transition
from core.errors import ApplicationError, Conflict, NotFound, in_sentence
from core.models import OutboxMessage
from core.outbox import PermanentDeliveryError, outbox_put, webhook_post
from core.recovery import attempts_exhausted, error_text, log_event, retry_at
from recalls.models import Remedy

from .models import GiftCard, Refund, Replacement

logger = logging.getLogger(__name__)
Actor = ClaimEvent.Actor


def _remedy_event(
    claim: Claim, note: str, params: dict[str, str], *, actor_kind: str = Actor.SYSTEM, actor_id: str = ""
) -> None:
    """``note``: an English message marked with ``gettext_noop``, with its placeholders' values."""
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.REMEDY_ISSUED,
        actor_kind=actor_kind,
        actor_id=actor_id,
        note=note,
        note_params=params,
    )


def remedy_issue(*, claim_id: int) -> Claim:
    """Issue the claim's remedy on its accepted terms if it is due; return early if it is issued
    already or not due."""
    with transaction.atomic():
        claim = claim_lock(claim_id=claim_id)
        if claim.status not in REMEDY_DUE_STATUSES:
            if claim.remedy_retry_at is not None:  # a sweep that raced the status change: nothing is due
                Claim.objects.filter(pk=claim.pk).update(remedy_retry_at=None)
            return claim  # cancelled, held for disposal or review, or done already
        if claim.terms_remedy != claim.remedy:
            raise Conflict(
                "terms_missing",
                _("%(reference)s was approved without terms.") % {"reference": claim.reference},
            )
        if claim.remedy == Remedy.GIFT_CARD:
            _issue_gift_card(claim, amount=claim.terms_amount, currency=claim.terms_currency)
        else:
            if claim.status == ClaimStatus.APPROVED:
                claim_transition(claim=claim, to=ClaimStatus.FULFILLING, actor_kind=Actor.SYSTEM)
            if claim.remedy == Remedy.REPLACEMENT:
                _order_replacement(claim, model=claim.terms_replacement_model)
            else:
                _instruct_refund(claim, amount=claim.terms_amount, currency=claim.terms_currency)
            # Issued: the claim now waits for the warehouse or finance, not for the sweep.
            Claim.objects.filter(pk=claim.pk).update(remedy_retry_at=None)
    log_event(
        logger,
        "remedy.issued",
        claim=claim.reference,
        remedy=claim.remedy,
        amount=claim.terms_amount,
        currency=claim.terms_currency,
    )
    return claim


# --- Gift cards: the programme's own ledger -------------------------------------------------------


def gift_card_code_normalise(code: str) -> str:
    """As a shop assistant types it: dashes, spaces, case and the look-alikes O, I and L forgiven."""
    return code.replace("-", "").replace(" ", "").upper().translate(str.maketrans("OIL", "011"))


def _issue_gift_card(claim: Claim, *, amount, currency: str) -> None:
    """Issue the card and fulfil the claim in the same transaction.

    The claim is locked and due, so it has no card yet: a card and the claim's move to fulfilled are
    committed together. The one-card-per-claim constraint guards that; a clash of 80 random bits fails
    the transaction, and the task runs again with a new code.
    """
    card = GiftCard.objects.create(claim=claim, code=random_crockford(16), amount=amount, currency=currency)
    issued = ClaimEvent(
        claim=claim,
        kind=ClaimEvent.Kind.REMEDY_ISSUED,
        actor_kind=Actor.SYSTEM,
        note=gettext_noop("Gift card of %(amount)s %(currency)s issued."),
        note_params={"amount": str(amount), "currency": currency},
    )
    if settings.GIFT_CARD_WEBHOOK_URL:
        outbox_put(
            topic=OutboxMessage.Topic.GIFT_CARD_ISSUED,
            payload={
                "claim_reference": claim.reference,
                "code": card.code,
                "amount": str(card.amount),
                "currency": card.currency,
                "issued_at": card.issued_at.isoformat(),
            },
        )
    path = (
        [ClaimStatus.FULFILLED]
        if claim.status == ClaimStatus.FULFILLING
        else [ClaimStatus.FULFILLING, ClaimStatus.FULFILLED]
    )
    claim_advance(claim=claim, path=path, actor_kind=Actor.SYSTEM, cause=[issued])


def gift_card_check(*, code: str) -> GiftCard | None:
    code = gift_card_code_normalise(code)
    if len(code) != 16 or any(c not in CROCKFORD for c in code):
        return None
    return GiftCard.objects.filter(code=code).select_related("claim").first()


def gift_card_redeem(*, code: str) -> GiftCard:
    """Mark a gift card used, once: a second redemption is refused."""
    card = gift_card_check(code=code)
    if card is None:
        raise NotFound("not_found", _("No gift card with this code."))
    updated = GiftCard.objects.filter(pk=card.pk, status=GiftCard.Status.ACTIVE).update(
        status=GiftCard.Status.REDEEMED, redeemed_at=timezone.now()
    )
    if not updated:
        raise Conflict(
            "gift_card_not_active",
            _("This gift card is %(status)s.") % {"status": in_sentence(card.get_status_display())},
        )
    card.refresh_from_db()
    return card


# --- Replacements: an order for the warehouse, fulfilled when shipped ------------------------------


def _order_replacement(claim: Claim, *, model) -> None:
    _replacement, created = Replacement.objects.get_or_create(
        claim=claim,
        defaults={
            "model": model,
            "ship_to_name": claim.customer_name,
            "ship_to_address": "\n".join(
                line
                for line in [
                    claim.address_line1,
                    claim.address_line2,
                    f"{claim.postal_code} {claim.city}",
                    claim.region,
                ]
                if line
            ),
            "ship_to_country": claim.country,
        },
    )
    if created:
        _remedy_event(
            claim,
            gettext_noop("Replacement %(model)s ordered from the warehouse."),
            {"model": model.model_number},
        )
        claim_email_owe(claim_id=claim.pk, template="remedy_arranged")


def replacement_mark_shipped(
    *, reference: str, tracking_number: str, carrier: str = "", actor_id: str = ""
) -> Claim:
    """The warehouse shipped the replacement: record the tracking number and fulfil the claim."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise ApplicationError(
            "validation_error",
            _("A tracking number is needed."),
            fields={"tracking_number": [_("Required.")]},
        )
    with transaction.atomic():
        claim = _claim_with_remedy(reference, Remedy.REPLACEMENT)
        replacement = Replacement.objects.select_for_update().get(claim=claim)
        if replacement.shipping_status == Replacement.Shipping.SHIPPED:
            if replacement.tracking_number != tracking_number:
                raise Conflict(
                    "already_shipped",
                    _("%(reference)s shipped already with %(tracking)s.")
                    % {"reference": reference, "tracking": replacement.tracking_number},
                )
            return claim
        replacement.shipping_status = Replacement.Shipping.SHIPPED
        replacement.tracking_number = tracking_number
        replacement.carrier = carrier.strip()
        replacement.shipped_at = timezone.now()
        replacement.save()
        return _fulfil(
            claim,
            gettext_noop("Replacement shipped, tracking number %(tracking)s."),
            {"tracking": tracking_number},
            actor_id=actor_id,
        )


# --- Refunds: a payout instruction for finance, fulfilled when paid -------------------------------


def _instruct_refund(claim: Claim, *, amount, currency: str) -> None:
    _refund, created = Refund.objects.get_or_create(
        claim=claim, defaults={"amount": amount, "currency": currency}
    )
    if created:
        _remedy_event(
            claim,
            gettext_noop("Refund of %(amount)s %(currency)s sent to finance for payout."),
            {"amount": str(amount), "currency": currency},
        )
        claim_email_owe(claim_id=claim.pk, template="remedy_arranged")


def refund_mark_paid(*, reference: str, payout_reference: str, actor_id: str = "") -> Claim:
    payout_reference = payout_reference.strip()
    if not payout_reference:
        raise ApplicationError(
            "validation_error",
            _("A payout reference is needed."),
            fields={"payout_reference": [_("Required.")]},
        )
    with transaction.atomic():
        claim = _claim_with_remedy(reference, Remedy.REFUND)
        refund = Refund.objects.select_for_update().get(claim=claim)
        if refund.payout_status == Refund.Payout.PAID:
            if refund.payout_reference != payout_reference:
                raise Conflict(
                    "already_paid",
                    _("%(reference)s was paid already (%(payout_reference)s).")
                    % {"reference": reference, "payout_reference": refund.payout_reference},
                )
            return claim
        refund.payout_status = Refund.Payout.PAID
        refund.payout_reference = payout_reference
        refund.paid_at = timezone.now()
        refund.save()
        return _fulfil(
            claim,
            gettext_noop("Refund of %(amount)s %(currency)s paid."),
            {"amount": str(refund.amount), "currency": refund.currency},
            actor_id=actor_id,
        )


def _fulfil(claim: Claim, note: str, params: dict, *, actor_id: str) -> Claim:
    """The remedy reached the customer (shipped, paid): record it and close the claim as fulfilled.

    ``actor_id`` is the agent who recorded it, or empty for an import from the warehouse or finance.
    """
    actor_kind = Actor.AGENT if actor_id else Actor.SYSTEM
    _remedy_event(claim, note, params, actor_kind=actor_kind, actor_id=actor_id)
    return claim_transition(claim=claim, to=ClaimStatus.FULFILLED, actor_kind=actor_kind, actor_id=actor_id)


_WRONG_REMEDY: dict[str, str] = {
    Remedy.GIFT_CARD: gettext_noop("%(reference)s is a gift card claim."),
    Remedy.REPLACEMENT: gettext_noop("%(reference)s is a replacement unit claim."),
    Remedy.REFUND: gettext_noop("%(reference)s is a refund claim."),
}


def _claim_with_remedy(reference: str, remedy: str) -> Claim:
    claim = Claim.objects.filter(reference=normalise_reference(reference)).first()
    if claim is None:
        raise NotFound("not_found", _("No claim %(reference)s.") % {"reference": reference})
    claim = claim_lock(claim_id=claim.pk)
    if claim.remedy != remedy:
        raise Conflict("wrong_remedy", _(_WRONG_REMEDY[claim.remedy]) % {"reference": claim.reference})
    # Fulfilled: the same shipment or payout again is answered as done, another one is a conflict (the
    # callers look at the record first).
    if claim.status not in (ClaimStatus.FULFILLING, ClaimStatus.FULFILLED):
        raise Conflict(
            "invalid_transition",
            _("%(reference)s is %(status)s, not fulfilling.")
            % {"reference": claim.reference, "status": in_sentence(claim.get_status_display())},
        )
    return claim


# --- Recovery -------------------------------------------------------------------------------------

SWEEP_BATCH = 500


def remedies_sweep_due() -> list[int]:
    """Claims whose remedy is due and not issued by its retry time: a lost message, a killed worker, a
    failing remedy. Each moves its next retry later (doubling) as it is queued, so a remedy that keeps
    failing never holds back newer ones; after ``RETRY_MAX_ATTEMPTS`` it is dead-lettered."""
    now = timezone.now()
    due = list(
        Claim.objects.filter(remedy_retry_at__lte=now)
        .order_by("remedy_retry_at")
        .values_list("pk", "reference", "remedy_attempts", "status")[:SWEEP_BATCH]
    )
    requeued = []
    for claim_id, reference, attempts, status in due:
        if status not in REMEDY_DUE_STATUSES:  # left behind by a race with its status change
            Claim.objects.filter(pk=claim_id).exclude(status__in=REMEDY_DUE_STATUSES).update(
                remedy_retry_at=None
            )
            continue
        attempts += 1
        if attempts_exhausted(attempts):
            Claim.objects.filter(pk=claim_id).update(
                remedy_attempts=attempts, remedy_retry_at=None, remedy_failed_at=now
            )
            log_event(logger, "remedy.dead_lettered", logging.ERROR, claim=reference, attempts=attempts)
            continue
        next_at = retry_at(
            attempts=attempts, first_after_seconds=settings.REMEDY_SWEEP_AFTER_SECONDS, now=now
        )
        Claim.objects.filter(pk=claim_id).update(remedy_attempts=attempts, remedy_retry_at=next_at)
        remedy_issue_after_commit(claim_id=claim_id)
        requeued.append(claim_id)
        log_event(logger, "remedy.requeued", logging.WARNING, claim=reference, attempt=attempts, next=next_at)
    return requeued


def remedy_failure_record(*, claim_id: int, exc: BaseException) -> None:
    """What went wrong with an attempt, for supervisors; the sweep tries again at the claim's retry time."""
    Claim.objects.filter(pk=claim_id).update(remedy_last_error=error_text(exc))
    reference = Claim.objects.filter(pk=claim_id).values_list("reference", flat=True).first()
    log_event(logger, "remedy.attempt_failed", logging.ERROR, claim=reference, error=error_text(exc))


def replacement_erase_address(claim: Claim) -> None:
    """A closed claim's personal data goes: the shipping name and address its replacement kept too."""
    from claims.privacy import ERASED

    Replacement.objects.filter(claim=claim).update(ship_to_name=ERASED, ship_to_address=ERASED)


def gift_card_webhook_deliver(message: OutboxMessage) -> int:
    """The gift-card provider hears of each card issued, by an HMAC-signed webhook."""
    if not settings.GIFT_CARD_WEBHOOK_URL:
        raise PermanentDeliveryError("GIFT_CARD_WEBHOOK_URL is not set.")
    return webhook_post(message, url=settings.GIFT_CARD_WEBHOOK_URL, secret=settings.GIFT_CARD_WEBHOOK_SECRET)
