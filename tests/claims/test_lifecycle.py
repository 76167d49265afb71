"""Edges of a claim's life that a real programme meets: units handed in early, rules edited mid-programme,
deadlines, the retention clock, and work that fails or is lost (SPEC "Claim status", quality bars)."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from claims.models import Claim, ClaimStatus
from claims.services import claim_approve, claim_mark_for_review, claim_remedy_retry
from core.models import OutboxMessage
from core.outbox import outbox_deliver, outbox_retry, outbox_sweep
from disposal.services import disposal_confirm
from fulfilment.models import GiftCard, Refund
from fulfilment.services import remedies_sweep_due, remedy_issue
from recalls.models import MarketRule
from tests.claims.conftest import CLAIMS, bearer, claim_payload, recalled_serial, submit
from tests.factories import ClaimFactory, facility_with_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def de_claim(us_recall):
    """A German refund claim (the market holds the remedy until disposal) waiting for an agent."""
    return ClaimFactory(recall=us_recall, model=us_recall.models.get(), country="DE", remedy="refund")


@pytest.fixture
def de_facility(db):
    facility, _token = facility_with_token("Recycling Ost", country="DE")
    return facility


def confirm(facility, claim):
    return disposal_confirm(
        facility=facility, claim_reference=claim.reference, serial=claim.serial, condition="intact"
    )


def due_now(claim):
    """Make the claim's next remedy attempt due (as time passing would)."""
    Claim.objects.filter(pk=claim.pk).update(remedy_retry_at=timezone.now() - datetime.timedelta(seconds=1))


# --- A unit handed in before approval -------------------------------------------------------------


def test_unit_handed_in_before_approval_goes_straight_to_fulfilling(
    de_claim, de_facility, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        confirm(de_facility, de_claim)
        claim_approve(claim=de_claim, agent_id="agent-1")
    de_claim.refresh_from_db()
    assert de_claim.status == ClaimStatus.FULFILLING
    assert Refund.objects.get(claim=de_claim).amount == Decimal("39.99")


def test_unit_handed_in_during_a_re_review_is_not_waited_for(
    de_claim, de_facility, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=de_claim, agent_id="agent-1")
        de_claim.refresh_from_db()
        assert de_claim.status == ClaimStatus.AWAITING_DISPOSAL
        claim_mark_for_review(claim=de_claim, agent_id="agent-1")
        confirm(de_facility, de_claim)  # recorded while the claim is being looked at again
        de_claim.refresh_from_db()
        assert de_claim.status == ClaimStatus.NEEDS_REVIEW
        claim_approve(claim=de_claim, agent_id="agent-1")
    de_claim.refresh_from_db()
    assert de_claim.status == ClaimStatus.FULFILLING
    assert Refund.objects.filter(claim=de_claim).count() == 1


def test_unit_handed_in_abroad_holds_the_claim_for_an_agent(de_claim, django_capture_on_commit_callbacks):
    us_facility, _token = facility_with_token("Recycling West", country="US")
    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=de_claim, agent_id="agent-1")
        confirm(us_facility, de_claim)
    de_claim.refresh_from_db()
    assert de_claim.status == ClaimStatus.NEEDS_REVIEW
    assert de_claim.flags.filter(reason="disposed_abroad").exists()
    assert not Refund.objects.filter(claim=de_claim).exists()


# --- Accepted terms -------------------------------------------------------------------------------


def test_refund_is_paid_on_the_terms_approved_whatever_the_rule_says_later(
    api, de_claim, de_facility, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=de_claim, agent_id="agent-1")
    # a supervisor edits the market rule while the claim waits for the unit
    rule = MarketRule.objects.get(recall=de_claim.recall, country="DE")
    rule.refund_amount = Decimal("1.00")
    rule.save()
    with django_capture_on_commit_callbacks(execute=True):
        confirm(de_facility, de_claim)
    refund = Refund.objects.get(claim=de_claim)
    assert (refund.amount, refund.currency) == (Decimal("39.99"), "EUR")


def test_a_remedy_withdrawn_after_approval_is_still_issued_on_its_terms(
    us_recall, django_capture_on_commit_callbacks
):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost: the sweep issues it
        claim_approve(claim=claim, agent_id="agent-1")
    MarketRule.objects.filter(recall=us_recall, country="US").update(
        offers_gift_card=False, gift_card_amount=None, gift_card_currency=""
    )
    remedy_issue(claim_id=claim.pk)
    card = GiftCard.objects.get(claim=claim)
    assert (card.amount, card.currency) == (Decimal("40.00"), "USD")


def test_approving_a_remedy_the_market_no_longer_offers_is_refused(us_recall):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    MarketRule.objects.filter(recall=us_recall, country="US").update(offers_gift_card=False)
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        claim_approve(claim=claim, agent_id="agent-1")
    assert refused.value.code == "remedy_not_offered"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


def test_claim_shows_its_terms(api, us_recall):
    created = submit(api).json()
    body = api.get(f"{CLAIMS}{created['reference']}/", headers=bearer(created["access_token"])).json()
    assert body["terms"] == {
        "remedy": "gift_card",
        "amount": "40.00",
        "currency": "USD",
        "replacement_model": None,
    }
    waiting = submit(api, claim_payload(serial=None), files={"proof_of_purchase": _receipt()}).json()
    body = api.get(f"{CLAIMS}{waiting['reference']}/", headers=bearer(waiting["access_token"])).json()
    assert body["status"] == "needs_review" and body["terms"] is None


def _receipt():
    from tests.claims.conftest import image_bytes, upload

    return upload(image_bytes("PNG"), "receipt.png", "image/png")


# --- The claim deadline ---------------------------------------------------------------------------


def test_claims_after_the_deadline_are_refused(api, us_recall):
    us_recall.claim_deadline = datetime.date(2000, 1, 31)
    us_recall.save()
    response = submit(api)
    assert response.status_code == 422
    assert response.json()["code"] == "claim_window_closed"
    assert not Claim.objects.exists()

    check = api.post(
        "/api/v1/serial-checks/",
        {"model_number": "A1263", "serial": recalled_serial(42), "country": "US"},
        format="json",
    ).json()
    assert check["recalled"] is True and check["claims_open"] is False


def test_claims_are_taken_until_the_end_of_the_deadline_day(api, us_recall):
    us_recall.claim_deadline = datetime.datetime.now(datetime.UTC).date()
    us_recall.save()
    assert submit(api).status_code == 201


def test_a_validation_error_comes_before_the_closed_window(api, us_recall):
    us_recall.claim_deadline = datetime.date(2000, 1, 31)
    us_recall.save()
    response = submit(api, claim_payload(remedy="refund"))
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")


# --- Closed since ---------------------------------------------------------------------------------


def test_a_late_disposal_does_not_restart_the_retention_clock(us_recall, django_capture_on_commit_callbacks):
    facility, _token = facility_with_token("Recycling West", country="US")
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)
    remedy_issue(claim_id=claim.pk)
    claim.refresh_from_db()
    closed_at = claim.closed_at
    assert claim.status == ClaimStatus.FULFILLED and closed_at is not None
    confirm(facility, claim)  # the customer hands the unit in weeks later
    claim.refresh_from_db()
    assert claim.closed_at == closed_at
    assert claim.disposal_confirmed_at is not None


# --- Recovery: backoff, no starvation, dead letters -----------------------------------------------


def test_a_failing_remedy_backs_off_and_is_dead_lettered(
    us_recall, settings, django_capture_on_commit_callbacks
):
    settings.RETRY_MAX_ATTEMPTS = 3
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)
    retry_times = []
    with mock.patch("fulfilment.tasks.remedy_issue", side_effect=RuntimeError("provider exploded")):
        for _ in range(3):
            due_now(claim)
            with django_capture_on_commit_callbacks(execute=True):
                remedies_sweep_due()
            claim.refresh_from_db()
            retry_times.append(claim.remedy_retry_at)
    assert claim.remedy_attempts == 3
    assert claim.remedy_failed_at is not None and claim.remedy_retry_at is None
    assert "provider exploded" in claim.remedy_last_error
    gaps = [t - timezone.now() for t in retry_times[:2]]
    assert gaps[1] > gaps[0]  # each attempt waits longer than the last
    due_now(claim)
    Claim.objects.filter(pk=claim.pk).update(remedy_retry_at=None)
    assert remedies_sweep_due() == []  # dead-lettered: never queued again by itself

    # a supervisor retries it once the provider is back
    with django_capture_on_commit_callbacks(execute=True):
        claim_remedy_retry(claim=claim, actor_id="supervisor-1")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    assert claim.remedy_failed_at is None and claim.remedy_attempts == 0


def test_claims_failing_forever_do_not_starve_newer_stuck_claims(
    us_recall, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("fulfilment.services.SWEEP_BATCH", 2)
    model = us_recall.models.get()
    failing = [ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED) for _ in range(2)]
    for claim in failing:
        Claim.objects.filter(pk=claim.pk).update(remedy_retry_at=timezone.now() - datetime.timedelta(hours=1))
    newer = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=False):
        first = remedies_sweep_due()
        second = remedies_sweep_due()
    assert set(first) == {c.pk for c in failing}
    assert second == [newer.pk]


def test_sweeps_are_scheduled_one_entry_per_job_with_an_expiry(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} >= {
        "fulfilment.tasks.remedies_sweep",
        "core.tasks.outbox_sweep_task",
        "core.tasks.idempotency_purge_task",
        "claims.tasks.documents_orphaned_sweep_task",
    }
    for entry in schedule.values():
        assert 0 < entry["options"]["expires"] <= entry["schedule"]


# --- Messages owed: the outbox --------------------------------------------------------------------


def test_emails_owed_while_the_broker_is_down_are_sent_once_later(
    api, us_recall, django_capture_on_commit_callbacks
):
    refused = OperationalError("Connection refused")
    with (
        mock.patch("celery.app.task.Task.apply_async", side_effect=refused),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = submit(api)
    assert response.status_code == 201
    assert mail.outbox == []  # nothing could be queued
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.APPROVED  # its gift card is due, not lost
    owed = OutboxMessage.objects.get(topic=OutboxMessage.Topic.CLAIM_EMAIL)
    assert owed.status == "pending" and owed.payload["template"] == "received"

    # the broker is back: time passes, and the sweeps deliver what is owed
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    due_now(claim)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            remedies_sweep_due()
            outbox_sweep()
        OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2  # received, then the gift card: each once
    assert OutboxMessage.objects.filter(status="pending").count() == 0


def test_a_message_whose_retry_was_lost_is_delivered_by_the_sweep(
    us_recall, django_capture_on_commit_callbacks
):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    message = OutboxMessage.objects.create(
        topic=OutboxMessage.Topic.CLAIM_EMAIL,
        payload={"claim_id": claim.pk, "template": "received"},
        attempts=1,  # one attempt failed, and the task that was to try again never came
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == "delivered" and len(mail.outbox) == 1


def test_two_deliveries_of_one_attempt_send_once(us_recall, django_capture_on_commit_callbacks):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    with django_capture_on_commit_callbacks(execute=False):
        message = OutboxMessage.objects.create(
            topic=OutboxMessage.Topic.CLAIM_EMAIL,
            payload={"claim_id": claim.pk, "template": "received"},
            next_attempt_at=timezone.now(),
        )
    outbox_deliver(message_id=message.pk, attempt=0)
    outbox_deliver(message_id=message.pk, attempt=0)  # the duplicate finds the attempt taken
    assert len(mail.outbox) == 1


def test_failed_deliveries_are_recorded_dead_lettered_and_retried(
    us_recall, settings, django_capture_on_commit_callbacks
):
    settings.RETRY_MAX_ATTEMPTS = 2
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    message = OutboxMessage.objects.create(
        topic=OutboxMessage.Topic.CLAIM_EMAIL,
        payload={"claim_id": claim.pk, "template": "received"},
        next_attempt_at=timezone.now(),
    )
    with mock.patch("claims.notifications.send_mail", side_effect=ConnectionRefusedError("SMTP down")):
        from core.outbox import TransientDeliveryError

        with pytest.raises(TransientDeliveryError):
            outbox_deliver(message_id=message.pk)
        message.refresh_from_db()
        assert message.status == "pending" and message.next_attempt_at > timezone.now()
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "SMTP down" in message.last_error
    assert message.delivery_attempts.count() == 2 and message.next_attempt_at is None
    assert outbox_sweep() == 0  # failed: left for a supervisor

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_retry(message_ids=[message.pk]) == 1
    message.refresh_from_db()
    assert message.status == "delivered" and len(mail.outbox) == 1


# --- Files stored before the transaction ----------------------------------------------------------


def test_files_no_claim_kept_are_swept_after_an_hour(us_recall, settings, tmp_path):
    from django.core.files.base import ContentFile

    from claims.models import ClaimDocument, document_storage, new_document_name
    from claims.privacy import documents_orphaned_delete

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    storage = document_storage()
    orphan = storage.save(new_document_name("image/png"), ContentFile(b"left behind"))
    fresh = storage.save(new_document_name("image/png"), ContentFile(b"a claim still committing"))
    kept = storage.save(new_document_name("image/png"), ContentFile(b"a claim's photo"))
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    ClaimDocument.objects.create(
        claim=claim, kind="product_photo", file=kept, content_type="image/png", sha256="a" * 64, size=3
    )
    assert documents_orphaned_delete(now=timezone.now()) == 0  # all younger than an hour
    import os

    hour_ago = (timezone.now() - datetime.timedelta(hours=2)).timestamp()
    for name in (orphan, kept):
        os.utime(storage.path(name), (hour_ago, hour_ago))
    assert documents_orphaned_delete() == 1
    assert not storage.exists(orphan)
    assert storage.exists(fresh) and storage.exists(kept)


def test_the_serial_check_page_says_claims_have_closed_and_the_unit_is_still_dangerous(client, us_recall):
    us_recall.claim_deadline = datetime.date(2000, 1, 31)
    us_recall.save()
    page = client.get(
        "/",
        {"model_number": "A1263", "serial": recalled_serial(42), "country": "US"},
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()
    assert "Anträge zu diesem Rückruf sind nicht mehr möglich." in page
    assert f"<strong>{us_recall.title}</strong>" in page  # the recall is named, not left blank
    assert "Das Gerät ist weiterhin gefährlich" in page
    assert "/claim/?" not in page


def test_the_sweep_never_re_arms_a_claim_whose_remedy_was_issued_meanwhile(
    us_recall, django_capture_on_commit_callbacks
):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)
    remedy_issue(claim_id=claim.pk)
    # as if the sweep had read the claim just before its gift card committed
    Claim.objects.filter(pk=claim.pk).update(remedy_retry_at=timezone.now() - datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert remedies_sweep_due() == []
    assert queued == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    assert claim.remedy_retry_at is None and claim.remedy_failed_at is None


def test_old_queued_e_mail_tasks_still_reach_the_customer(us_recall, django_capture_on_commit_callbacks):
    from claims.tasks import claim_email

    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    with django_capture_on_commit_callbacks(execute=True):
        claim_email.delay(claim_id=claim.pk, template="received")
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == "delivered"


def test_an_attempt_that_never_came_back_counts_towards_the_dead_letter(us_recall, settings):
    settings.RETRY_MAX_ATTEMPTS = 2
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    message = OutboxMessage.objects.create(
        topic=OutboxMessage.Topic.CLAIM_EMAIL,
        payload={"claim_id": claim.pk, "template": "received"},
        attempts=2,  # two attempts taken, whose workers died while sending
        next_attempt_at=timezone.now(),
    )
    outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and mail.outbox == []
