"""What the fulfilment services say and leave behind, word for word: the refusals a warehouse, finance or
a shop sees, the events on the claim's timeline, the log lines operators alert on, and the reads other
apps show."""

import logging

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimEvent, ClaimStatus
from core.errors import ApplicationError, Conflict, NotFound
from core.models import OutboxMessage
from core.outbox import PermanentDeliveryError
from fulfilment.models import GiftCard, Replacement
from fulfilment.selectors import fulfilment_for_claim, fulfilment_line_for_agents
from fulfilment.services import (
    gift_card_check,
    gift_card_code_normalise,
    gift_card_redeem,
    gift_card_webhook_deliver,
    refund_mark_paid,
    remedies_sweep_due,
    remedy_failure_record,
    remedy_issue,
    replacement_erase_address,
    replacement_mark_shipped,
)
from tests.factories import ClaimFactory
from tests.logs import event_fields, logged_events

pytestmark = pytest.mark.django_db
SYSTEM, AGENT = ClaimEvent.Actor.SYSTEM, ClaimEvent.Actor.AGENT


def refusal(excinfo):
    error = excinfo.value
    return type(error), error.code, error.detail, error.fields


def events(claim, kind=ClaimEvent.Kind.REMEDY_ISSUED):
    return [
        (e.note, e.note_params, e.actor_kind, e.actor_id)
        for e in claim.events.filter(kind=kind).order_by("created_at", "pk")
    ]


def logged(caplog, event):
    return [(event_fields(record), record.levelno) for record in logged_events(caplog, event)]


# --- Refusals --------------------------------------------------------------------------------------


def test_a_blank_tracking_number_or_payout_reference_is_refused_field_by_field(issued):
    claim = issued("replacement")
    with pytest.raises(ApplicationError) as blank:
        replacement_mark_shipped(reference=claim.reference, tracking_number="  ")
    assert refusal(blank) == (
        ApplicationError,
        "validation_error",
        "A tracking number is needed.",
        {"tracking_number": ["Required."]},
    )
    with pytest.raises(ApplicationError) as blank:
        refund_mark_paid(reference=claim.reference, payout_reference=" ")
    assert refusal(blank) == (
        ApplicationError,
        "validation_error",
        "A payout reference is needed.",
        {"payout_reference": ["Required."]},
    )


def test_a_second_shipment_or_payout_is_refused_with_the_first_one_named(issued):
    shipped = issued("replacement")
    replacement_mark_shipped(reference=shipped.reference, tracking_number="1Z9")
    with pytest.raises(Conflict) as again:
        replacement_mark_shipped(reference=shipped.reference.lower(), tracking_number="1Z0")
    assert refusal(again) == (
        Conflict,
        "already_shipped",
        f"{shipped.reference.lower()} shipped already with 1Z9.",
        None,
    )

    paid = issued("refund", country="DE")
    refund_mark_paid(reference=paid.reference, payout_reference="SEPA-1")
    with pytest.raises(Conflict) as again:
        refund_mark_paid(reference=paid.reference, payout_reference="SEPA-2")
    assert refusal(again) == (Conflict, "already_paid", f"{paid.reference} was paid already (SEPA-1).", None)


def test_an_unknown_claim_the_wrong_remedy_or_the_wrong_state_is_refused_in_words(issued, us_recall):
    with pytest.raises(NotFound) as unknown:
        refund_mark_paid(reference="RC-NOPE", payout_reference="P-1")
    assert refusal(unknown) == (NotFound, "not_found", "No claim RC-NOPE.", None)

    card = issued("gift_card")
    for mark, kwargs, wrong in [
        (refund_mark_paid, {"payout_reference": "P-1"}, "is a gift card claim."),
        (replacement_mark_shipped, {"tracking_number": "1Z1"}, "is a gift card claim."),
    ]:
        with pytest.raises(Conflict) as refused:
            mark(reference=card.reference, **kwargs)
        assert refusal(refused) == (Conflict, "wrong_remedy", f"{card.reference} {wrong}", None)
    replacement = issued("replacement")
    with pytest.raises(Conflict) as refused:
        refund_mark_paid(reference=replacement.reference, payout_reference="P-1")
    assert refused.value.detail == f"{replacement.reference} is a replacement unit claim."
    refund = issued("refund", country="DE")
    with pytest.raises(Conflict) as refused:
        replacement_mark_shipped(reference=refund.reference, tracking_number="1Z1")
    assert refused.value.detail == f"{refund.reference} is a refund claim."

    waiting = ClaimFactory(recall=us_recall, model=us_recall.models.get(), remedy="replacement")
    with pytest.raises(Conflict) as refused:
        replacement_mark_shipped(reference=waiting.reference, tracking_number="1Z1")
    assert refusal(refused) == (
        Conflict,
        "invalid_transition",
        f"{waiting.reference} is needs review, not fulfilling.",
        None,
    )


def test_a_claim_approved_without_terms_is_not_issued(us_recall):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)
    Claim.objects.filter(pk=claim.pk).update(terms_remedy="")
    with pytest.raises(Conflict) as refused:
        remedy_issue(claim_id=claim.pk)
    assert refusal(refused) == (
        Conflict,
        "terms_missing",
        f"{claim.reference} was approved without terms.",
        None,
    )
    assert not GiftCard.objects.filter(claim=claim).exists()


def test_a_gift_card_is_redeemed_once_and_an_unknown_code_is_not_found(issued):
    claim = issued("gift_card")
    code = GiftCard.objects.get(claim=claim).code
    other = GiftCard.objects.get(claim=issued("gift_card"))

    card = gift_card_redeem(code=code.lower())
    assert (card.pk, card.status, card.claim_id) == (GiftCard.objects.get(code=code).pk, "redeemed", claim.pk)
    assert card.redeemed_at is not None
    other.refresh_from_db()
    assert (other.status, other.redeemed_at) == (GiftCard.Status.ACTIVE, None)  # only this card

    with pytest.raises(Conflict) as again:
        gift_card_redeem(code=code)
    assert refusal(again) == (Conflict, "gift_card_not_active", "This gift card is redeemed.", None)
    with pytest.raises(NotFound) as unknown:
        gift_card_redeem(code="0" * 16)
    assert refusal(unknown) == (NotFound, "not_found", "No gift card with this code.", None)


def test_a_code_is_read_as_a_shop_assistant_types_it(issued, django_assert_num_queries):
    code = GiftCard.objects.get(claim=issued("gift_card")).code
    assert gift_card_code_normalise(" ab-cd ef\tGH ") == "ABCDEF\tGH"
    assert gift_card_code_normalise("o i l O I L") == "011011"
    typed = " ".join(code[i : i + 4] for i in range(0, 16, 4)).lower()
    found = gift_card_check(code=typed)
    assert found is not None and found.code == code
    # the claim comes with it: showing the card's claim costs no query
    assert "claim" in found._state.fields_cache
    with django_assert_num_queries(0):  # a code that cannot be one is not looked up
        assert gift_card_check(code=code[:15] + "U") is None  # U is not in the alphabet
        assert gift_card_check(code=code + "0") is None


# --- Events on the claim's timeline --------------------------------------------------------------


def test_each_remedy_writes_its_own_words_on_the_timeline(issued):
    card = issued("gift_card")
    assert events(card) == [
        ("Gift card of %(amount)s %(currency)s issued.", {"amount": "40.00", "currency": "USD"}, SYSTEM, "")
    ]

    replacement = issued("replacement")
    model = replacement.terms_replacement_model.model_number
    assert events(replacement) == [
        ("Replacement %(model)s ordered from the warehouse.", {"model": model}, SYSTEM, "")
    ]
    replacement_mark_shipped(reference=replacement.reference, tracking_number="1Z9")
    assert Replacement.objects.get(claim=replacement).carrier == ""  # none given
    assert events(replacement)[-1] == (
        "Replacement shipped, tracking number %(tracking)s.",
        {"tracking": "1Z9"},
        SYSTEM,
        "",
    )
    closing = replacement.events.get(new_status=ClaimStatus.FULFILLED)
    assert (closing.actor_kind, closing.actor_id) == (SYSTEM, "")  # an import from the warehouse

    refund = issued("refund", country="DE")
    refund_mark_paid(reference=refund.reference, payout_reference="SEPA-1")
    assert events(refund)[-1] == (
        "Refund of %(amount)s %(currency)s paid.",
        {"amount": "39.99", "currency": "EUR"},
        SYSTEM,
        "",
    )


def test_a_replacement_ships_to_the_customers_address_in_lines(us_recall, django_capture_on_commit_callbacks):
    claim = ClaimFactory(
        recall=us_recall,
        model=us_recall.models.get(),
        remedy="replacement",
        status=ClaimStatus.APPROVED,
        address_line1="1 Main Street",
        address_line2="Apt 4",
        postal_code="12345",
        city="Springfield",
    )
    remedy_issue(claim_id=claim.pk)
    replacement = Replacement.objects.get(claim=claim)
    assert (replacement.ship_to_name, replacement.ship_to_address, replacement.ship_to_country) == (
        "Ann Example",
        "1 Main Street\nApt 4\n12345 Springfield",
        "US",
    )

    replacement_erase_address(claim)
    replacement.refresh_from_db()
    assert (replacement.ship_to_name, replacement.ship_to_address) == ("erased", "erased")


def test_the_provider_hears_of_each_card_with_its_code_amount_and_time(issued, settings):
    settings.GIFT_CARD_WEBHOOK_URL = "https://cards.example/hook"
    claim = issued("gift_card")
    card = GiftCard.objects.get(claim=claim)
    message = OutboxMessage.objects.get(topic=OutboxMessage.Topic.GIFT_CARD_ISSUED)
    assert message.payload == {
        "claim_reference": claim.reference,
        "code": card.code,
        "amount": "40.00",
        "currency": "USD",
        "issued_at": card.issued_at.isoformat(),
    }

    settings.GIFT_CARD_WEBHOOK_URL = ""
    with pytest.raises(PermanentDeliveryError, match=r"^GIFT_CARD_WEBHOOK_URL is not set\.$"):
        gift_card_webhook_deliver(message)


def test_a_gift_card_claim_already_fulfilling_moves_to_fulfilled_in_one_step(us_recall):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.FULFILLING)
    remedy_issue(claim_id=claim.pk)
    moves = list(
        claim.events.filter(kind=ClaimEvent.Kind.STATUS_CHANGED).values_list("old_status", "new_status")
    )
    assert moves == [(ClaimStatus.FULFILLING, ClaimStatus.FULFILLED)]


# --- What the sweep finds once the remedy is issued ---------------------------------------------


@pytest.mark.parametrize("remedy,country", [("replacement", "US"), ("refund", "DE")])
def test_a_remedy_sent_out_is_no_longer_due_for_the_sweep(us_recall, remedy, country):
    us_recall.market_rules.filter(country="DE").update(disposal_before_remedy=False)
    claim = ClaimFactory(
        recall=us_recall,
        model=us_recall.models.get(),
        remedy=remedy,
        country=country,
        status=ClaimStatus.APPROVED,
    )
    other = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)
    due_at = timezone.now()
    Claim.objects.filter(pk__in=[claim.pk, other.pk]).update(remedy_retry_at=due_at)

    remedy_issue(claim_id=claim.pk)

    assert Claim.objects.get(pk=claim.pk).remedy_retry_at is None
    assert Claim.objects.get(pk=other.pk).remedy_retry_at == due_at  # only this claim


def test_a_claim_no_longer_due_leaves_the_sweep_when_its_task_comes(us_recall):
    model = us_recall.models.get()
    due_at = timezone.now()
    cancelled = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.CANCELLED)
    other = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.CANCELLED)
    Claim.objects.filter(pk__in=[cancelled.pk, other.pk]).update(remedy_retry_at=due_at)

    assert remedy_issue(claim_id=cancelled.pk).status == ClaimStatus.CANCELLED

    assert Claim.objects.get(pk=cancelled.pk).remedy_retry_at is None
    assert Claim.objects.get(pk=other.pk).remedy_retry_at == due_at


def test_a_sweep_goes_past_a_claim_no_longer_due_and_past_a_dead_letter(us_recall, settings):
    settings.RETRY_MAX_ATTEMPTS = 3
    model = us_recall.models.get()
    earlier = timezone.now() - timezone.timedelta(minutes=10)
    gone = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.CANCELLED)
    dead = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED)
    due = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED)
    Claim.objects.filter(pk=gone.pk).update(remedy_retry_at=earlier)
    Claim.objects.filter(pk=dead.pk).update(
        remedy_retry_at=earlier + timezone.timedelta(minutes=1), remedy_attempts=2
    )
    Claim.objects.filter(pk=due.pk).update(remedy_retry_at=earlier + timezone.timedelta(minutes=2))

    assert remedies_sweep_due() == [due.pk]


# --- Log lines -----------------------------------------------------------------------------------


def test_operators_read_each_issue_requeue_failure_and_dead_letter_in_one_line(us_recall, settings, caplog):
    settings.RETRY_MAX_ATTEMPTS = 2
    settings.REMEDY_SWEEP_AFTER_SECONDS = 60
    caplog.set_level(logging.INFO, logger="fulfilment.services")
    model = us_recall.models.get()
    issued = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED)
    remedy_issue(claim_id=issued.pk)
    assert logged(caplog, "remedy.issued") == [
        (
            {
                "event": "remedy.issued",
                "claim": issued.reference,
                "remedy": "gift_card",
                "amount": issued.terms_amount,
                "currency": "USD",
            },
            logging.INFO,
        )
    ]

    requeued = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED)
    dead = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED)
    now = timezone.now()
    Claim.objects.filter(pk=requeued.pk).update(remedy_retry_at=now)
    Claim.objects.filter(pk=dead.pk).update(remedy_retry_at=now, remedy_attempts=1)
    before = timezone.now()
    remedies_sweep_due()
    [(fields, level)] = logged(caplog, "remedy.requeued")
    assert level == logging.WARNING
    assert (fields["claim"], fields["attempt"]) == (requeued.reference, 1)
    assert fields["next"] == Claim.objects.get(pk=requeued.pk).remedy_retry_at
    assert (
        before + timezone.timedelta(seconds=119) < fields["next"] < before + timezone.timedelta(seconds=125)
    )
    assert logged(caplog, "remedy.dead_lettered") == [
        ({"event": "remedy.dead_lettered", "claim": dead.reference, "attempts": 2}, logging.ERROR)
    ]

    remedy_failure_record(claim_id=requeued.pk, exc=TimeoutError("provider slow"))
    assert logged(caplog, "remedy.attempt_failed") == [
        (
            {
                "event": "remedy.attempt_failed",
                "claim": requeued.reference,
                "error": "TimeoutError: provider slow",
            },
            logging.ERROR,
        )
    ]
    assert Claim.objects.get(pk=requeued.pk).remedy_last_error == "TimeoutError: provider slow"
    assert Claim.objects.get(pk=dead.pk).remedy_last_error == ""


# --- Reads for the API and the admin ---------------------------------------------------------------


def test_the_customer_sees_what_was_issued_and_agents_a_masked_line(issued, django_assert_num_queries):
    card_claim = issued("gift_card")
    card = GiftCard.objects.get(claim=card_claim)
    assert fulfilment_for_claim(card_claim) == {
        "type": "gift_card",
        "code": card.display_code,
        "amount": "40.00",
        "currency": "USD",
    }
    assert (
        fulfilment_line_for_agents(card_claim)
        == f"Gift card ****-****-****-{card.code[-4:]}, 40.00 USD, active"
    )

    replacement = issued("replacement")
    model = replacement.terms_replacement_model.model_number
    assert fulfilment_for_claim(replacement) == {
        "type": "replacement",
        "model_number": model,
        "tracking_number": None,
        "status": "pending",
    }
    assert (
        fulfilment_line_for_agents(replacement)
        == f"Replacement {model}: Waiting for the warehouse, no tracking number yet"
    )
    # the model comes with its replacement: one query for the customer's read, two for the agents'
    with django_assert_num_queries(3):
        assert fulfilment_for_claim(replacement)["model_number"] == model
        assert fulfilment_line_for_agents(replacement).startswith(f"Replacement {model}:")
    replacement_mark_shipped(reference=replacement.reference, tracking_number="1Z9")
    assert fulfilment_for_claim(replacement)["tracking_number"] == "1Z9"
    assert fulfilment_line_for_agents(replacement) == f"Replacement {model}: Shipped, 1Z9"

    refund = issued("refund", country="DE")
    assert fulfilment_for_claim(refund) == {
        "type": "refund",
        "amount": "39.99",
        "currency": "EUR",
        "status": "pending",
    }
    assert fulfilment_line_for_agents(refund) == "Refund 39.99 EUR: Waiting for finance"

    nothing = ClaimFactory(recall=refund.recall, model=refund.model, remedy="refund", country="DE")
    assert (fulfilment_for_claim(nothing), fulfilment_line_for_agents(nothing)) == (None, None)
    for remedy in ("gift_card", "replacement"):
        nothing = ClaimFactory(recall=refund.recall, model=refund.model, remedy=remedy)
        assert (fulfilment_for_claim(nothing), fulfilment_line_for_agents(nothing)) == (None, None)
