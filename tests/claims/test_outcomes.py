"""What the claims services say and leave behind, word for word: the refusals agents and customers read,
the events on the timeline, the log lines operators alert on, and the facts concurrent claims take
turns on."""

import hashlib
import logging

import pytest
from django.utils import timezone

from claims import fraud
from claims.models import Claim, ClaimDocument, ClaimEvent, ClaimFlag, ClaimStatus
from claims.selectors import claim_disposal_status
from claims.services import (
    claim_cancel,
    claim_flag,
    claim_get_for_token,
    claim_lock,
    claim_mark_for_review,
    claim_reject,
    claim_remedy_retry,
)
from core.errors import ApplicationError, Conflict, NotFound
from tests.factories import ClaimFactory
from tests.logs import event_fields, logged_events

pytestmark = pytest.mark.django_db
AGENT, SYSTEM = ClaimEvent.Actor.AGENT, ClaimEvent.Actor.SYSTEM


def logged(caplog, event):
    return [event_fields(record) for record in logged_events(caplog, event)]


@pytest.fixture
def claim_for(us_recall):
    model = us_recall.models.get()
    return lambda **kwargs: ClaimFactory(recall=us_recall, model=model, **kwargs)


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger="claims.services")
    return caplog


def test_each_decision_is_one_log_line_with_the_claim_and_who(claim_for, logs):
    rejected, sent_back, cancelled = claim_for(), claim_for(status=ClaimStatus.APPROVED), claim_for()
    claim_reject(claim=rejected, agent_id="7", reason=" No receipt. ")
    claim_mark_for_review(claim=sent_back, agent_id="8")
    claim_cancel(claim=cancelled)
    assert logged(logs, "claim.rejected") == [
        {"event": "claim.rejected", "claim": rejected.reference, "actor": "agent:7"}
    ]
    assert logged(logs, "claim.sent_back_to_review") == [
        {"event": "claim.sent_back_to_review", "claim": sent_back.reference, "actor": "agent:8"}
    ]
    assert logged(logs, "claim.cancelled") == [
        {"event": "claim.cancelled", "claim": cancelled.reference, "actor": "customer"}
    ]
    assert rejected.events.get(new_status=ClaimStatus.REJECTED).note == "No receipt."


def test_a_rejection_needs_a_reason_said_on_its_field(claim_for):
    with pytest.raises(ApplicationError) as refused:
        claim_reject(claim=claim_for(), agent_id="7", reason="  ")
    assert (refused.value.code, refused.value.fields) == (
        "validation_error",
        {"reason": ["Say why the claim is rejected; the customer is told."]},
    )


def test_a_flag_holds_the_claim_with_its_reason_in_words_and_logs_it(claim_for, logs):
    claim = claim_for(status=ClaimStatus.APPROVED)
    claim_flag(claim=claim, reason=ClaimFlag.Reason.DISPOSED_ABROAD, detail="Handed in in DE.")
    flagged = claim.events.get(kind=ClaimEvent.Kind.FLAGGED)
    assert (flagged.actor_kind, flagged.note, flagged.public) == (
        SYSTEM,
        f"{ClaimFlag.Reason.DISPOSED_ABROAD.label}. Handed in in DE.",
        False,
    )
    back = claim.events.get(new_status=ClaimStatus.NEEDS_REVIEW)
    assert (back.note, back.note_params, back.actor_kind) == (
        "Held for a check by our support team.",
        {},
        SYSTEM,
    )
    assert logged(logs, "claim.flagged") == [
        {
            "event": "claim.flagged",
            "claim": claim.reference,
            "reason": ClaimFlag.Reason.DISPOSED_ABROAD,
            "detail": "Handed in in DE.",
        }
    ]
    plain = claim_for()
    claim_flag(claim=plain, reason=ClaimFlag.Reason.DISPOSED_ABROAD)
    assert plain.events.get(kind=ClaimEvent.Kind.FLAGGED).note == f"{ClaimFlag.Reason.DISPOSED_ABROAD.label}."


def test_a_remedy_retry_is_refused_without_a_remedy_due_and_logged_with_it(
    claim_for, logs, django_capture_on_commit_callbacks
):
    with pytest.raises(Conflict) as refused:
        claim_remedy_retry(claim=(waiting := claim_for()), actor_id="9")
    assert (refused.value.code, refused.value.detail) == (
        "invalid_transition",
        f"{waiting.reference} has no remedy waiting to be issued.",
    )
    due = claim_for(status=ClaimStatus.APPROVED)
    Claim.objects.filter(pk=due.pk).update(remedy_failed_at=timezone.now(), remedy_attempts=8)
    with django_capture_on_commit_callbacks() as queued:
        claim_remedy_retry(claim=due, actor_id="9")
    assert len(queued) == 1
    due.refresh_from_db()
    assert (due.remedy_attempts, due.remedy_failed_at) == (0, None) and due.remedy_retry_at is not None
    assert logged(logs, "remedy.retry_requested") == [
        {"event": "remedy.retry_requested", "claim": due.reference, "actor": "agent:9"}
    ]


def test_a_claim_asked_for_with_a_wrong_token_is_not_found_in_words(claim_for):
    claim = claim_for()
    for token in ("", "guess"):
        with pytest.raises(NotFound) as unknown:
            claim_get_for_token(reference=claim.reference, token=token)
        assert (unknown.value.code, unknown.value.detail) == (
            "not_found",
            "No claim with this reference and token.",
        )


def test_a_locked_or_fetched_claim_comes_with_what_its_callers_read(claim_for, django_assert_num_queries):
    claim = claim_for(status=ClaimStatus.APPROVED)
    with django_assert_num_queries(1):
        locked = claim_lock(claim_id=claim.pk)
        assert (locked.recall.code, locked.model.model_number) == (
            claim.recall.code,
            claim.model.model_number,
        )
        assert locked.terms_replacement_model is None or locked.terms_replacement_model.model_number


def test_without_a_centre_app_a_claims_disposal_reads_as_pending(claim_for, monkeypatch):
    from claims import extensions

    monkeypatch.setattr(extensions.disposal_status, "_providers", [])
    assert claim_disposal_status(claim=claim_for()) == {
        "status": "pending",
        "facility": None,
        "confirmed_at": None,
    }


def test_claims_take_turns_on_what_they_could_share(claim_for, settings):
    settings.NEIGHBOURING_SERIAL_DISTANCE = 1
    claim = claim_for(serial="AH23060000000042")
    Claim.objects.filter(pk=claim.pk).update(email_key="ada@example.com", address_key="us:12345:1 main")
    claim.refresh_from_db()
    document = ClaimDocument(
        kind=ClaimDocument.Kind.PRODUCT_PHOTO,
        sha256="a" * 64,
        content_sha256="b" * 64,
        fingerprint="0123456789abcdef",
    )
    facts = fraud.turn_facts(claim, [document])
    assert facts[:2] == ["email:ada@example.com", "address:us:12345:1 main"]
    assert (
        [f for f in facts if f.startswith("serial:")]
        == [
            f"serial:{claim.model_id}:AH:14:{23060000000041 // 3}",  # one either side of the number, in buckets of 3
            f"serial:{claim.model_id}:AH:14:{23060000000043 // 3}",
        ]
    )
    assert facts[-6:] == [
        f"document:product_photo:{'a' * 64}",
        f"drawn:product_photo:{'b' * 64}",
        "fingerprint:product_photo:fingerprint_band_0:291",
        "fingerprint:product_photo:fingerprint_band_1:17767",
        "fingerprint:product_photo:fingerprint_band_2:35243",
        "fingerprint:product_photo:fingerprint_band_3:52719",
    ]
    keys = fraud.turn_keys(claim, [document])
    assert keys == sorted({int(hashlib.sha256(f.encode()).hexdigest()[:15], 16) for f in facts})
    assert all(0 <= key < 2**60 for key in keys) and len(keys) == len(set(facts))
    without_drawn = ClaimDocument(kind=ClaimDocument.Kind.PROOF_OF_PURCHASE, sha256="c" * 64)
    assert [f for f in fraud.turn_facts(claim, [without_drawn]) if "proof" in f] == [
        f"document:proof_of_purchase:{'c' * 64}"
    ]


def test_a_claim_taken_is_one_log_line_and_a_second_for_its_unit_a_conflict_in_words(api, us_recall, logs):
    from tests.claims.conftest import claim_payload, submit

    first = submit(api, claim_payload(postal_code="12345"))
    assert first.status_code == 201
    claim = Claim.objects.get()
    assert logged(logs, "claim.submitted") == [
        {
            "event": "claim.submitted",
            "claim": claim.reference,
            "recall": us_recall.code,
            "country": "US",
            "status": claim.status,
            "serial_recalled": True,
        }
    ]
    again = submit(api, claim_payload(email="other@example.com"))
    assert (again.status_code, again.json()) == (
        409,
        {
            "code": "duplicate_serial",
            "detail": "A claim for this serial number is already open.",
            "fields": {"serial": ["This unit has already been claimed."]},
        },
    )
