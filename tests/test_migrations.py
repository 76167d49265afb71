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


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    """Each test leaves the database at some older migration: the tests after it need the latest."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


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


def test_the_kernel_and_fulfilment_moves_keep_every_row_and_its_keys():
    # given a programme on the last migrations before the moves: a gift card, an e-mail owed with one
    # failed attempt, a live idempotent answer, and a claim keyed by its raw contact
    old = migrate([("claims", "0009_retry_permission"), ("disposal", "0002_claims_know_their_disposal")])
    Recall, Model = old.get_model("recalls", "Recall"), old.get_model("recalls", "ProductModel")
    Claim, GiftCard = old.get_model("claims", "Claim"), old.get_model("claims", "GiftCard")
    Outbox, Attempt = old.get_model("claims", "OutboxMessage"), old.get_model("claims", "DeliveryAttempt")
    Idempotency = old.get_model("claims", "IdempotencyRecord")
    model = Model.objects.create(model_number="A1263", name="PowerCore", serial_format="")
    recall = Recall.objects.create(
        code="R-2", title="R", hazard="fire", announced_on=datetime.date(2025, 6, 1)
    )
    claim = Claim.objects.create(
        reference="RC-OLD00002",
        recall=recall,
        model=model,
        serial="AH23060000000043",
        country="US",
        remedy="gift_card",
        status="fulfilled",
        customer_name="B",
        email="farmer+7@example.com",
        address_line1="77, Oak Street",
        city="Springfield",
        postal_code="12345",
        access_token_hash="0" * 64,
    )
    card = GiftCard.objects.create(claim=claim, code="ABCD" * 4, amount="40.00", currency="USD")
    message = Outbox.objects.create(
        topic="claim.email", payload={"claim_id": claim.pk, "template": "received"}
    )
    Attempt.objects.create(message=message, error="SMTP down")
    Idempotency.objects.create(
        key_hash="k" * 64, request_fingerprint="f" * 64, status_code=201, sealed_body=b"x"
    )

    # when the moves are applied
    new = migrate([("claims", "0013_outbox_moves_to_core"), ("fulfilment", "0002_roles")])

    # then every row is where its app is now, with its id, and new rows do not collide with old ones
    assert new.get_model("fulfilment", "GiftCard").objects.get(pk=card.pk).claim_id == claim.pk
    moved = new.get_model("core", "OutboxMessage").objects.get(pk=message.pk)
    assert (moved.event_id, moved.payload) == (message.event_id, message.payload)
    assert new.get_model("core", "DeliveryAttempt").objects.get(message_id=message.pk).error == "SMTP down"
    assert new.get_model("core", "IdempotencyRecord").objects.get(key_hash="k" * 64).status_code == 201
    assert (
        new.get_model("core", "OutboxMessage").objects.create(topic="claim.email", payload={}).pk > message.pk
    )
    keyed = new.get_model("claims", "Claim").objects.get(pk=claim.pk)
    assert (keyed.email_key, keyed.address_key) == ("farmer@example.com", "US|12345|77 oak st")


def test_claims_in_review_wait_since_they_last_entered_it_and_old_reasons_are_free_text():
    old = migrate([("claims", "0015_claim_region")])
    Recall, Model = old.get_model("recalls", "Recall"), old.get_model("recalls", "ProductModel")
    Claim, Event = old.get_model("claims", "Claim"), old.get_model("claims", "ClaimEvent")
    model = Model.objects.create(model_number="A1263", name="PowerCore", serial_format="")
    recall = Recall.objects.create(
        code="R-3", title="R", hazard="fire", announced_on=datetime.date(2025, 6, 1)
    )

    def claim(reference: str, status: str):
        return Claim.objects.create(
            reference=reference,
            recall=recall,
            model=model,
            country="US",
            remedy="gift_card",
            status=status,
            customer_name="C",
            email=f"{reference}@example.com",
            address_line1="1 Main Street",
            city="Springfield",
            postal_code="12345",
            access_token_hash="0" * 64,
        )

    sent_back, never_moved, decided = (
        claim("RC-OLD00003", "needs_review"),
        claim("RC-OLD00004", "needs_review"),
        claim("RC-OLD00005", "rejected"),
    )
    back = Event.objects.create(
        claim=sent_back,
        kind="status_changed",
        actor_kind="agent",
        old_status="approved",
        new_status="needs_review",
    )
    reason = Event.objects.create(
        claim=decided, kind="status_changed", actor_kind="agent", new_status="rejected", note="Other model"
    )
    system = Event.objects.create(
        claim=decided, kind="note", actor_kind="system", note="Held for a check.", note_params={}
    )

    new = migrate([("claims", "0018_review_queue_index")])
    Claim, Event = new.get_model("claims", "Claim"), new.get_model("claims", "ClaimEvent")
    assert Claim.objects.get(pk=sent_back.pk).review_since == Event.objects.get(pk=back.pk).created_at
    assert Claim.objects.get(pk=never_moved.pk).review_since == never_moved.created_at
    assert Claim.objects.get(pk=decided.pk).review_since is None
    assert Event.objects.get(pk=reason.pk).free_text and not Event.objects.get(pk=system.pk).free_text
    assert group_permissions("Supervisor", new) >= {"add_replytemplate", "change_reviewsettings"}


def group_permissions(role: str, apps) -> set[str]:
    group = apps.get_model("auth", "Group").objects.get(name=role)
    return set(group.permissions.values_list("codename", flat=True))
