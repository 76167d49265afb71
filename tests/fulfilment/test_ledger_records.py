"""What a remedy leaves behind once it reached the customer, and the guards around it: the records a
warehouse, finance or an auditor reads, pinned field by field."""

import pytest

from claims.models import ClaimEvent, ClaimStatus
from core.errors import Conflict, NotFound
from fulfilment.models import GiftCard, Refund, Replacement
from fulfilment.services import gift_card_redeem, refund_mark_paid, replacement_mark_shipped
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def remedy_events(claim):
    return list(claim.events.filter(kind=ClaimEvent.Kind.REMEDY_ISSUED).order_by("created_at", "pk"))


def test_a_refund_paid_keeps_its_payout_reference_and_both_events(issued):
    claim = issued("refund", country="DE")
    sent = remedy_events(claim)
    assert [(e.note, e.note_params, e.actor_kind, e.public) for e in sent] == [
        (
            "Refund of %(amount)s %(currency)s sent to finance for payout.",
            {"amount": "39.99", "currency": "EUR"},
            ClaimEvent.Actor.SYSTEM,
            True,
        )
    ]

    refund_mark_paid(reference=claim.reference, payout_reference="  SEPA-77  ", actor_id="7")

    refund = Refund.objects.get(claim=claim)
    assert (refund.payout_status, refund.payout_reference) == (Refund.Payout.PAID, "SEPA-77")
    assert refund.paid_at is not None
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED and claim.closed_at is not None
    paid = remedy_events(claim)[-1]
    assert (paid.note_params, paid.actor_kind, paid.actor_id) == (
        {"amount": "39.99", "currency": "EUR"},
        ClaimEvent.Actor.AGENT,
        "7",
    )
    assert len(remedy_events(claim)) == 2  # "sent to finance" stays
    closing = claim.events.get(new_status=ClaimStatus.FULFILLED)
    assert (closing.actor_kind, closing.actor_id) == (ClaimEvent.Actor.AGENT, "7")


def test_a_refund_paid_twice_is_the_same_payout_or_a_conflict(issued):
    claim = issued("refund", country="DE")
    refund_mark_paid(reference=claim.reference, payout_reference="SEPA-77")

    assert (
        refund_mark_paid(reference=claim.reference, payout_reference="SEPA-77").status
        == ClaimStatus.FULFILLED
    )
    with pytest.raises(Conflict) as other:
        refund_mark_paid(reference=claim.reference, payout_reference="SEPA-78")
    assert other.value.code == "already_paid" and "SEPA-77" in other.value.detail
    assert Refund.objects.get(claim=claim).payout_reference == "SEPA-77"
    assert len(remedy_events(claim)) == 2


def test_a_shipment_keeps_its_tracking_number_carrier_and_time(issued):
    claim = issued("replacement")

    replacement_mark_shipped(reference=claim.reference.lower(), tracking_number=" 1Z9 ", carrier=" UPS ")

    order = Replacement.objects.get(claim=claim)
    assert (order.shipping_status, order.tracking_number, order.carrier) == ("shipped", "1Z9", "UPS")
    assert order.shipped_at is not None
    assert remedy_events(claim)[-1].note_params == {"tracking": "1Z9"}
    with pytest.raises(Conflict) as other:
        replacement_mark_shipped(reference=claim.reference, tracking_number="1Z0")
    assert other.value.code == "already_shipped"
    assert replacement_mark_shipped(reference=claim.reference, tracking_number="1Z9").status == "fulfilled"


@pytest.mark.parametrize(
    ("mark", "arguments"),
    [
        (refund_mark_paid, {"payout_reference": "SEPA-1"}),
        (replacement_mark_shipped, {"tracking_number": "1Z1"}),
    ],
)
def test_the_outside_cannot_settle_the_wrong_claim(issued, mark, arguments):
    gift = issued("gift_card")
    with pytest.raises(Conflict) as wrong:
        mark(reference=gift.reference, **arguments)
    assert wrong.value.code == "wrong_remedy"
    with pytest.raises(NotFound):
        mark(reference="RC-NOPE0000", **arguments)


def test_nothing_is_settled_before_the_claim_is_being_fulfilled(us_recall):
    model = us_recall.models.get()
    waiting = ClaimFactory(recall=us_recall, model=model, country="DE", remedy="refund")

    with pytest.raises(Conflict) as early:
        refund_mark_paid(reference=waiting.reference, payout_reference="SEPA-1")

    assert early.value.code == "invalid_transition" and "not fulfilling" in early.value.detail


@pytest.mark.parametrize(
    ("mark", "field"), [(refund_mark_paid, "payout_reference"), (replacement_mark_shipped, "tracking_number")]
)
def test_a_blank_reference_from_the_outside_is_refused(issued, mark, field):
    claim = issued("refund", country="DE") if mark is refund_mark_paid else issued("replacement")
    with pytest.raises(Exception) as blank:
        mark(reference=claim.reference, **{field: "   "})
    assert blank.value.code == "validation_error" and list(blank.value.fields) == [field]


def test_redeeming_answers_with_the_card_as_it_is_now(issued):
    claim = issued("gift_card")
    card = GiftCard.objects.get(claim=claim)

    redeemed = gift_card_redeem(code=card.display_code.lower())

    assert (redeemed.pk, redeemed.status) == (card.pk, GiftCard.Status.REDEEMED)
    assert redeemed.redeemed_at is not None
    with pytest.raises(NotFound):
        gift_card_redeem(code="ZZZZ-ZZZZ-ZZZZ-ZZZZ")
