"""A refund is at least the price paid (GPSR Art. 37): the price stated with the claim, confirmed by an
agent from the receipt, and the accepted terms that record the larger of it and the market's refund."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from claims.models import Claim, ClaimFlag, ClaimStatus
from claims.services import claim_approve, claim_decide
from core.errors import ApplicationError, Conflict
from core.roles import SUPPORT_AGENT
from tests.claims.conftest import claim_payload, submit

pytestmark = [pytest.mark.django_db]

# us_recall's German market: replacement or a refund of 39.99 EUR, the remedy held until disposal.
GERMAN_REFUND = {"country": "DE", "remedy": "refund", "city": "Berlin", "postal_code": "10115", "phone": None}


def refund_claim(api, price=None) -> Claim:
    answer = submit(api, claim_payload(**GERMAN_REFUND, price_paid=price))
    assert answer.status_code == 201, answer.json()
    return Claim.objects.get(reference=answer.json()["reference"])


@pytest.fixture
def agent(staff_roles):
    user = User.objects.create_user("agent1", password="pw-for-tests-only", is_staff=True)  # noqa: S106
    user.groups.add(Group.objects.get(name=SUPPORT_AGENT))
    return user


def test_a_price_below_the_refund_is_approved_at_once_on_the_markets_refund(us_recall, api):
    claim = refund_claim(api, "30.00")
    assert claim.price_paid == Decimal("30.00")
    assert claim.status == ClaimStatus.AWAITING_DISPOSAL
    assert (claim.terms_amount, claim.terms_currency) == (Decimal("39.99"), "EUR")


def test_no_price_stated_is_the_markets_refund(us_recall, api):
    claim = refund_claim(api)
    assert claim.price_paid is None
    assert claim.terms_amount == Decimal("39.99")


def test_a_price_above_the_refund_waits_for_an_agent_with_the_reason(us_recall, api):
    claim = refund_claim(api, "59.00")
    assert claim.status == ClaimStatus.NEEDS_REVIEW
    assert claim.terms_remedy == "" and claim.terms_amount is None  # nothing paid on it yet
    (flag,) = claim.flags.all()
    assert flag.reason == ClaimFlag.Reason.PRICE_TO_CONFIRM
    assert flag.get_reason_display() == "Price paid above the refund amount: confirm it from the receipt"
    assert flag.detail == (
        "States 59.00 EUR paid; the refund is 39.99 EUR. Confirm the price from the receipt."
    )


def test_an_unconfirmed_higher_price_cannot_be_approved(us_recall, api, agent):
    claim = refund_claim(api, "59.00")
    with pytest.raises(Conflict) as refused:
        claim_approve(claim=claim, agent_id=str(agent.pk))
    assert refused.value.code == "price_not_confirmed"
    assert refused.value.detail == (
        "The customer states a price paid of 59.00 EUR, above the refund of 39.99 EUR: confirm the price "
        "from the receipt before approving."
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW and claim.terms_amount is None


@pytest.mark.parametrize(
    ("confirmed", "refund"),
    [("55.00", "55.00"), ("59.00", "59.00"), ("25.00", "39.99")],  # less on the receipt: the market's refund
)
def test_the_refund_is_the_larger_of_the_markets_and_the_confirmed_price(
    us_recall, api, agent, confirmed, refund
):
    claim = refund_claim(api, "59.00")
    claim = claim_decide(
        claim=claim, agent=agent, decision="approve", price_paid_confirmed=Decimal(confirmed)
    )
    claim.refresh_from_db()
    assert claim.price_paid_confirmed == Decimal(confirmed)
    assert claim.status == ClaimStatus.AWAITING_DISPOSAL
    assert claim.terms == {"remedy": "refund", "amount": refund, "currency": "EUR", "replacement_model": None}
    assert claim.events.filter(note__startswith="Price paid confirmed from the receipt").exists()


def test_a_negative_confirmed_price_is_refused_and_changes_nothing(us_recall, api, agent):
    claim = refund_claim(api, "59.00")
    with pytest.raises(ApplicationError) as refused:
        claim_decide(claim=claim, agent=agent, decision="approve", price_paid_confirmed=Decimal("-1"))
    assert (refused.value.code, refused.value.fields) == (
        "validation_error",
        {"price_paid_confirmed": ["A price cannot be negative."]},
    )
    claim.refresh_from_db()
    assert claim.price_paid_confirmed is None and claim.status == ClaimStatus.NEEDS_REVIEW


def test_the_agent_confirms_the_price_on_the_claims_admin_page(us_recall, api, agent, client):
    claim = refund_claim(api, "59.00")
    client.force_login(agent)
    page = client.get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    assert 'name="price_paid_confirmed"' in page
    refused = client.post(f"/admin/claims/claim/{claim.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "confirm the price from the receipt before approving" in refused.content.decode()
    client.post(
        f"/admin/claims/claim/{claim.pk}/decide/", {"decision": "approve", "price_paid_confirmed": "57.50"}
    )
    claim.refresh_from_db()
    assert (claim.price_paid_confirmed, claim.terms_amount) == (Decimal("57.50"), Decimal("57.50"))


def test_a_gift_card_claims_page_asks_no_price(us_recall, agent, client):
    from tests.factories import ClaimFactory

    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    client.force_login(agent)
    assert (
        'name="price_paid_confirmed"'
        not in client.get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    )


def test_the_price_and_the_units_condition_are_part_of_the_claims_input(us_recall, api):
    negative = submit(api, claim_payload(**GERMAN_REFUND, price_paid="-1"))
    assert negative.status_code == 400 and "price_paid" in negative.json()["fields"]
    bad = submit(api, claim_payload(unit_condition="exploded"))
    assert bad.status_code == 400 and "unit_condition" in bad.json()["fields"]
    swollen = submit(api, claim_payload(unit_condition="swollen"))
    assert Claim.objects.get(reference=swollen.json()["reference"]).unit_condition == "swollen"


def test_the_claim_page_asks_the_price_where_the_market_offers_a_refund(us_recall, client):
    german = client.get("/claim/", {"model_number": "A1263", "country": "DE"}).content.decode()
    assert 'name="price_paid"' in german and "Price you paid in EUR (optional)" in german
    assert 'name="unit_condition"' in german
    american = client.get("/claim/", {"model_number": "A1263", "country": "US"}).content.decode()
    assert 'name="price_paid"' not in american


def test_a_german_customer_writes_the_price_with_a_comma(us_recall, client):
    from django.utils import translation

    from claims.forms import ClaimForm

    with translation.override("de"):
        form = ClaimForm({"price_paid": "59,90"}, refund_currency="EUR")
        form.is_valid()
    assert "price_paid" not in form.errors
    assert str(form.cleaned_data["price_paid"]) == "59.90"
