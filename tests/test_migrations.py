"""Data migrations of this round: claims already stuck on the old rules are put right."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("claims", "0007_claim_event_timeline_index"),
    ("disposal", "0001_initial"),
    ("recalls", "0003_serials_keyed_by_model_serial_recall"),
]
AFTER = [("claims", "0009_retry_permission"), ("disposal", "0002_claims_know_their_disposal")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_claim_left_waiting_for_a_disposal_that_happened_goes_on_with_its_terms():
    old = migrate(BEFORE)
    Recall, Rule, Model = (old.get_model("recalls", n) for n in ("Recall", "MarketRule", "ProductModel"))
    Claim, Confirmation = old.get_model("claims", "Claim"), old.get_model("disposal", "DisposalConfirmation")
    Facility = old.get_model("disposal", "RecyclingFacility")
    model = Model.objects.create(model_number="A1263", name="PowerCore", serial_format="")
    recall = Recall.objects.create(
        code="R-1", title="R", hazard="fire", announced_on=datetime.date(2025, 6, 1)
    )
    Rule.objects.create(
        recall=recall,
        country="DE",
        offers_refund=True,
        offers_replacement=True,
        refund_amount="39.99",
        refund_currency="EUR",
        disposal_before_remedy=True,
    )
    stuck = Claim.objects.create(
        reference="RC-OLD00001",
        recall=recall,
        model=model,
        serial="AH23060000000042",
        country="DE",
        remedy="refund",
        status="awaiting_disposal",
        customer_name="A",
        email="a@example.com",
        address_line1="1 Str",
        city="Berlin",
        postal_code="10115",
        access_token_hash="0" * 64,
    )
    facility = Facility.objects.create(name="Hof", country="DE", api_token_hash="1" * 64)
    Confirmation.objects.create(
        claim=stuck,
        facility=facility,
        serial_observed=stuck.serial,
        condition="intact",
        received_at=timezone.now(),
    )

    new = migrate(AFTER)
    claim = new.get_model("claims", "Claim").objects.get(pk=stuck.pk)
    assert claim.status == "fulfilling" and claim.remedy_retry_at is not None
    assert claim.disposal_confirmed_at is not None
    assert (claim.terms_remedy, str(claim.terms_amount), claim.terms_currency) == ("refund", "39.99", "EUR")
    events = new.get_model("claims", "ClaimEvent").objects.filter(claim_id=claim.pk)
    assert events.filter(old_status="awaiting_disposal", new_status="fulfilling").count() == 1
