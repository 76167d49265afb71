"""What the claims services say and leave behind, word for word: the refusals agents and customers read,
the events on the timeline, the log lines operators alert on, and the facts concurrent claims take
turns on."""

import datetime
import hashlib
import logging

import pytest
from django.db import transaction
from django.utils import timezone

from claims import fraud
from claims.models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimFlag,
    ClaimStatus,
    document_storage,
    hash_token,
)
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


# -- status links, reminders, the review time, a retried remedy --------------------------------------


def test_a_forged_status_link_or_one_naming_no_claim_is_not_found_in_words(claim_for):
    from django.core import signing

    from claims.services import STATUS_LINK_SALT, claim_get_for_status_link

    for link in ("not-a-link", signing.dumps("RC-NOSUCH00", salt=STATUS_LINK_SALT)):
        with pytest.raises(NotFound) as refused:
            claim_get_for_status_link(link=link)
        assert (refused.value.code, refused.value.detail) == (
            "not_found",
            "This status link is not valid or has expired.",
        )


def test_status_links_are_owed_for_the_latest_claim_and_logged(claim_for, logs, settings):
    from claims.services import status_links_request
    from core.models import OutboxMessage

    made_first, made_later = claim_for(email="ada@example.com"), claim_for(email="ada@example.com")
    # the claim made later has the smaller id: "latest" is by time
    Claim.objects.filter(pk=made_first.pk).update(created_at=timezone.now() + datetime.timedelta(minutes=1))
    assert status_links_request(email=" ADA@example.com ") is True
    owed = OutboxMessage.objects.get(payload__template="status_links")
    assert owed.payload["claim_id"] == made_first.pk
    assert logged(logs, "claim.status_links_sent") == [
        {"event": "claim.status_links_sent", "claim": made_first.reference}
    ]
    assert status_links_request(email="nobody@example.com") is False
    assert OutboxMessage.objects.filter(payload__template="status_links").count() == 1
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "status_links": "1/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert status_links_request(email="ada@example.com") is True
    assert status_links_request(email="ada@example.com") is False
    [throttled] = logged_events(logs, "claim.status_links_throttled")
    assert throttled.levelno == logging.WARNING
    del made_later


def test_each_claim_waiting_for_its_unit_is_reminded_once_and_the_run_logged(claim_for, logs):
    from claims.services import disposal_reminders_send

    long_ago = timezone.now() - datetime.timedelta(days=8)
    waiting = [claim_for(status=ClaimStatus.AWAITING_DISPOSAL) for _ in range(2)]
    noted = claim_for(status=ClaimStatus.AWAITING_DISPOSAL)
    for claim in waiting:
        ClaimEvent.objects.create(
            claim=claim, kind="status_changed", actor_kind="system", new_status="awaiting_disposal"
        )
    # a note that names the status is no change of status: that claim did not begin to wait then
    ClaimEvent.objects.create(claim=noted, kind="note", actor_kind="system", new_status="awaiting_disposal")
    ClaimEvent.objects.filter(claim__in=[*waiting, noted]).update(created_at=long_ago)
    assert disposal_reminders_send() == 2
    assert logged(logs, "claim.disposal_reminders_sent") == [
        {"event": "claim.disposal_reminders_sent", "count": 2}
    ]
    assert [Claim.objects.get(pk=c.pk).disposal_reminders_sent for c in [*waiting, noted]] == [1, 1, 0]
    assert disposal_reminders_send() == 0


def test_the_review_time_counts_agents_decisions_of_claims_in_review_by_their_median(claim_for, settings):
    from unittest import mock

    from claims.selectors import typical_review_days

    now = timezone.now()
    for days in (0.5, 1.5, 2.5, 9.5):
        claim = claim_for(status=ClaimStatus.APPROVED)
        Claim.objects.filter(pk=claim.pk).update(created_at=now - datetime.timedelta(days=days))
        ClaimEvent.objects.create(
            claim=claim,
            kind="status_changed",
            actor_kind="agent",
            old_status="needs_review",
            new_status="approved",
        )
    other = claim_for(status=ClaimStatus.APPROVED)
    Claim.objects.filter(pk=other.pk).update(created_at=now - datetime.timedelta(days=30))
    ClaimEvent.objects.create(  # a note naming the statuses is not a decision
        claim=other, kind="note", actor_kind="agent", old_status="needs_review", new_status="approved"
    )
    with mock.patch("claims.selectors.cache") as cache:
        cache.get.return_value = None
        assert typical_review_days() == 3  # waits of 0.5, 1.5, 2.5, 9.5 days: the upper middle, rounded up
    cache.set.assert_called_once_with("claims.typical_review_days", 3, 600)


def test_a_retried_remedy_starts_again_from_the_first_wait_with_its_error_cleared(claim_for, settings):
    from claims.services import claim_remedy_retry

    claim = claim_for(status=ClaimStatus.APPROVED)
    Claim.objects.filter(pk=claim.pk).update(
        remedy_failed_at=timezone.now(),
        remedy_attempts=8,
        remedy_last_error="provider down",
        remedy_retry_at=None,
    )
    before = timezone.now()
    claim_remedy_retry(claim=claim, actor_id="3")
    claim.refresh_from_db()
    wait = claim.remedy_retry_at - before
    first = datetime.timedelta(seconds=settings.REMEDY_SWEEP_AFTER_SECONDS)
    assert first <= wait < first + datetime.timedelta(seconds=5)
    assert (claim.remedy_attempts, claim.remedy_last_error, claim.remedy_failed_at) == (0, "", None)


def test_claims_fetched_for_their_pages_come_with_recall_model_and_terms(
    claim_for, django_assert_num_queries
):
    from claims.services import claim_get_for_status_link, claim_get_for_token, status_link_token

    claim = claim_for(status=ClaimStatus.APPROVED, remedy="replacement")
    assert claim.terms_replacement_model_id is not None
    with django_assert_num_queries(1):
        locked = claim_lock(claim_id=claim.pk)
        assert (
            locked.terms_replacement_model.model_number and locked.recall.code and locked.model.model_number
        )
    Claim.objects.filter(pk=claim.pk).update(access_token_hash=hash_token("tok"))
    for fetch in (
        lambda: claim_get_for_token(reference=claim.reference, token="tok"),
        lambda: claim_get_for_status_link(link=status_link_token(claim)),
    ):
        fetched = fetch()
        with django_assert_num_queries(0):
            assert (fetched.recall.code, fetched.model.model_number) == (
                claim.recall.code,
                claim.model.model_number,
            )


def test_a_move_the_system_makes_names_no_actor(claim_for):
    claim = claim_for(status=ClaimStatus.APPROVED)
    with transaction.atomic():
        claim_flag(claim=claim_lock(claim_id=claim.pk), reason=ClaimFlag.Reason.DUPLICATE_RECEIPT)
    event = claim.events.get(new_status=ClaimStatus.NEEDS_REVIEW)
    assert (event.actor_kind, event.actor_id) == ("system", "")


def test_a_flag_names_the_claim_it_shares_a_receipt_with(api, us_recall):
    from tests.claims.conftest import claim_payload, image_bytes, submit, upload
    from tests.claims.test_fraud import contact

    receipt = image_bytes("PNG", (90, 60), (10, 120, 200))
    first = submit(
        api,
        claim_payload(serial="", **contact(1)),
        files={"proof_of_purchase": upload(receipt, "r.png", "image/png")},
    )
    second = submit(
        api,
        claim_payload(serial="", **contact(2)),
        files={"proof_of_purchase": upload(receipt, "r.png", "image/png")},
    )
    one, other = (Claim.objects.get(reference=r.json()["reference"]) for r in (first, second))
    assert one.flags.get().related_claim == other and other.flags.get().related_claim == one


def test_a_claim_that_could_not_be_made_leaves_no_stored_file(claim_for, us_recall, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from claims.services import ClaimSubmission, claim_create, claim_prepare
    from tests.claims.conftest import image_bytes

    taken = claim_for()
    submission = ClaimSubmission(
        model_number="A1263",
        country="US",
        remedy="gift_card",
        name="Ann",
        email="ann@example.com",
        address_line1="1 Main Street",
        city="Springfield",
        postal_code="12345",
        region="IL",
        serial=taken.serial,
        phone="+12025550100",
        proof_of_purchase=SimpleUploadedFile("r.png", image_bytes("PNG", (50, 40)), content_type="image/png"),
        product_photo=SimpleUploadedFile(
            "p.png", image_bytes("PNG", (60, 40), (0, 90, 0)), content_type="image/png"
        ),
    )
    prepared = claim_prepare(submission=submission)
    stored = [document.file.name for document in prepared.documents]
    assert stored and all(document_storage().exists(name) for name in stored)
    with pytest.raises(Conflict):
        claim_create(prepared=prepared)
    assert not any(document_storage().exists(name) for name in stored)


def test_status_links_of_claims_made_at_the_same_moment_go_for_the_later_one(claim_for):
    from claims.services import status_links_request
    from core.models import OutboxMessage

    earlier, later = claim_for(email="bea@example.com"), claim_for(email="bea@example.com")
    Claim.objects.filter(pk__in=[earlier.pk, later.pk]).update(created_at=timezone.now())
    status_links_request(email="bea@example.com")
    assert OutboxMessage.objects.get(payload__template="status_links").payload["claim_id"] == later.pk


def test_reminders_count_only_the_wait_for_the_unit_of_claims_still_waiting(claim_for, settings):
    from claims.services import disposal_reminders_send

    now = timezone.now()
    long_ago = now - datetime.timedelta(days=8)

    def waiting(status=ClaimStatus.AWAITING_DISPOSAL, *, since, to="awaiting_disposal", reminded=0):
        claim = claim_for(status=status)
        Claim.objects.filter(pk=claim.pk).update(disposal_reminders_sent=reminded)
        event = ClaimEvent.objects.create(
            claim=claim, kind="status_changed", actor_kind="system", new_status=to
        )
        ClaimEvent.objects.filter(pk=event.pk).update(created_at=since)
        return claim

    approved_long_ago = waiting(since=long_ago, to="approved")  # waiting for its unit for a day only
    ClaimEvent.objects.filter(claim=approved_long_ago, new_status="awaiting_disposal").delete()
    moved_on = waiting(ClaimStatus.FULFILLING, since=long_ago)
    reminded_once = waiting(since=long_ago, reminded=1)  # 8 days: the second reminder is at 21
    due = waiting(since=long_ago)
    assert disposal_reminders_send() == 1
    assert [
        Claim.objects.get(pk=c.pk).disposal_reminders_sent
        for c in (approved_long_ago, moved_on, reminded_once, due)
    ] == [0, 0, 1, 1]


def test_a_reminder_batch_is_filled_with_claims_owed_that_reminder_only(claim_for, monkeypatch):
    """Claims past a reminder are not read for it: a batch of them would crowd out the one owed it."""
    from claims import services

    long_ago = timezone.now() - datetime.timedelta(days=8)
    monkeypatch.setattr(services, "REMINDER_BATCH", 1)
    due, reminded = (
        claim_for(status=ClaimStatus.AWAITING_DISPOSAL),
        claim_for(status=ClaimStatus.AWAITING_DISPOSAL),
    )
    Claim.objects.filter(pk=reminded.pk).update(disposal_reminders_sent=1)
    for claim in (due, reminded):
        event = ClaimEvent.objects.create(
            claim=claim, kind="status_changed", actor_kind="system", new_status="awaiting_disposal"
        )
        ClaimEvent.objects.filter(pk=event.pk).update(created_at=long_ago)
    Claim.objects.filter(pk=due.pk).update(created_at=long_ago)  # read after the reminded one
    assert services.disposal_reminders_send() == 1
    assert Claim.objects.get(pk=due.pk).disposal_reminders_sent == 1


def test_a_document_matches_another_claims_by_bytes_or_by_any_band_of_its_fingerprint(claim_for):
    other = claim_for()
    ClaimDocument.objects.create(
        claim=other,
        kind="proof_of_purchase",
        file="x/a.pdf",
        content_type="application/pdf",
        sha256="a" * 64,
        content_sha256="c" * 64,
        size=1,
    )
    ClaimDocument.objects.create(
        claim=other,
        kind="product_photo",
        file="x/b.png",
        content_type="image/png",
        sha256="b" * 64,
        size=1,
        fingerprint="aaaabbbbccccdddd",
        **ClaimDocument.fingerprint_bands("aaaabbbbccccdddd"),
    )
    claim = claim_for()
    # the same bytes, whatever its pages hash to; a picture one bit off in its last band only
    receipt = ClaimDocument(kind="proof_of_purchase", sha256="a" * 64, content_sha256="d" * 64)
    photo = ClaimDocument(kind="product_photo", sha256="e" * 64, fingerprint="aaaabbbbccccddde")
    findings = fraud._same_documents(claim, [receipt, photo])
    held = {(f.reason, f.claim_id, f.related_claim_id) for f in findings}
    for reason in (ClaimFlag.Reason.DUPLICATE_RECEIPT, ClaimFlag.Reason.DUPLICATE_PHOTO):
        assert {(reason, claim.pk, other.pk), (reason, other.pk, claim.pk)} <= held


def test_the_review_time_counts_only_approvals_and_rejections_by_agents(claim_for):
    from unittest import mock

    from claims.selectors import typical_review_days

    now = timezone.now()

    def waited(days: float, **event) -> None:
        claim = claim_for(status=ClaimStatus.APPROVED)
        Claim.objects.filter(pk=claim.pk).update(created_at=now - datetime.timedelta(days=days))
        ClaimEvent.objects.create(claim=claim, actor_kind="agent", old_status="needs_review", **event)

    for days in (2.5, 2.6, 2.7):
        waited(days, kind="status_changed", new_status="approved")
    waited(0.1, kind="note", new_status="approved")  # not a decision
    waited(0.1, kind="status_changed", new_status="cancelled")  # not an agent's review decision
    with mock.patch("claims.selectors.cache") as cache:
        cache.get.return_value = None
        assert typical_review_days() == 3
