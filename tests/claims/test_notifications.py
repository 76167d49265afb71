"""The customer hears of every step of a claim's life, once, in the claim's language, and every e-mail
sent while the unit may still be at home says what to do now and where to take it."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from claims.models import Claim, ClaimEvent, ClaimStatus
from claims.services import claim_approve, claim_reject, disposal_reminders_send
from disposal.services import disposal_confirm
from fulfilment.services import refund_mark_paid, replacement_mark_shipped
from tests.factories import ClaimFactory, facility_with_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(us_recall):
    model = us_recall.models.get()

    def make(**kwargs):
        return ClaimFactory(recall=us_recall, model=model, **kwargs)

    return make


def run(capture, action):
    with capture(execute=True):
        result = action()
    return result


def subjects(mailoutbox):
    return [mail.subject for mail in mailoutbox]


def test_an_approval_after_review_is_told_with_what_comes_next(
    review, mailoutbox, django_capture_on_commit_callbacks
):
    claim = review(remedy="replacement")
    run(django_capture_on_commit_callbacks, lambda: claim_approve(claim=claim, agent_id="7"))
    approved, arranged = mailoutbox
    assert approved.subject == f"Your claim {claim.reference} is approved"
    assert "approved it" in approved.body and "Stop using it now." in approved.body
    assert "/status/link/" in approved.body
    assert arranged.subject == f"Your remedy is on its way ({claim.reference})"
    assert "our warehouse is preparing your new unit" in arranged.body

    run(
        django_capture_on_commit_callbacks,
        lambda: replacement_mark_shipped(reference=claim.reference, tracking_number="1Z9"),
    )
    assert "1Z9" in mailoutbox[-1].body and len(mailoutbox) == 3


def test_a_claim_held_for_disposal_is_told_where_to_go_and_then_that_the_unit_arrived_in_german(
    review, mailoutbox, django_capture_on_commit_callbacks
):
    facility, _token = facility_with_token(
        "Wertstoffhof München", country="DE", latitude=48.14, longitude=11.58
    )
    claim = review(country="DE", remedy="refund", city="München", language="de")
    run(django_capture_on_commit_callbacks, lambda: claim_approve(claim=claim, agent_id="7"))
    [held] = mailoutbox
    assert "bitte geben Sie das Gerät ab" in held.subject
    assert "Wertstoffhof München" in held.body and "km)" in held.body
    assert "Benutzen Sie es sofort nicht mehr." in held.body and "(112)" in held.body

    run(
        django_capture_on_commit_callbacks,
        lambda: disposal_confirm(
            facility=facility, claim_reference=claim.reference, serial=claim.serial, condition="intact"
        ),
    )
    arrived = mailoutbox[1]
    assert "Wertstoffhof München" in arrived.body and "abgegeben" in arrived.subject
    arranged = mailoutbox[2]
    assert "39,99 EUR" in arranged.body or "39.99 EUR" in arranged.body
    run(
        django_capture_on_commit_callbacks,
        lambda: refund_mark_paid(reference=claim.reference, payout_reference="SEPA-1"),
    )
    assert len(mailoutbox) == 4
    assert all("Hallo" in mail.body for mail in mailoutbox)


def test_a_rejection_still_carries_the_safety_advice(review, mailoutbox, django_capture_on_commit_callbacks):
    claim = review()
    run(
        django_capture_on_commit_callbacks,
        lambda: claim_reject(claim=claim, agent_id="7", reason="No receipt."),
    )
    [rejected] = mailoutbox
    assert "No receipt." in rejected.body
    assert "Stop using it now." in rejected.body and "household trash" in rejected.body
    assert "The unit is still dangerous" in rejected.body


def test_an_approval_at_intake_is_told_once_in_the_received_e_mail(
    client, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.claims.test_pages import submit

    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client).status_code == 302
    assert [s.split(" ")[0] for s in subjects(mailoutbox)][:1] == ["We"]  # "We received your ..."
    assert not any("is approved" in s for s in subjects(mailoutbox))


def test_units_still_at_home_get_a_reminder_after_7_and_21_days_once_each(
    review, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.DISPOSAL_REMINDER_DAYS = [7, 21]
    waiting = review(country="DE", remedy="refund")
    handed_in = review(country="DE", remedy="refund")
    for claim in (waiting, handed_in):
        run(django_capture_on_commit_callbacks, lambda claim=claim: claim_approve(claim=claim, agent_id="7"))
    Claim.objects.filter(pk=handed_in.pk).update(disposal_confirmed_at=timezone.now())
    began = (
        ClaimEvent.objects.filter(claim=waiting, new_status=ClaimStatus.AWAITING_DISPOSAL).get().created_at
    )
    mailoutbox.clear()

    def sweep(days):
        with django_capture_on_commit_callbacks(execute=True):
            return disposal_reminders_send(now=began + datetime.timedelta(days=days))

    assert sweep(6) == 0
    assert sweep(7.1) == 1
    assert sweep(8) == 0  # once
    assert sweep(21.5) == 1
    assert sweep(60) == 0  # no third
    assert [mail.to for mail in mailoutbox] == [[waiting.email], [waiting.email]]
    assert "still waiting to be handed in" in mailoutbox[0].subject
    assert "Stop using it now." in mailoutbox[0].body
    assert Claim.objects.get(pk=waiting.pk).disposal_reminders_sent == 2


def test_the_reminders_run_from_the_beat_schedule(settings):
    assert (
        settings.CELERY_BEAT_SCHEDULE["disposal-reminders"]["task"] == "claims.tasks.disposal_reminders_task"
    )
    call_command("check")


def test_an_agents_approval_note_stays_with_the_team(review, django_capture_on_commit_callbacks):
    from claims.selectors import claim_public_events

    claim = review()
    note = "Receipt matches model A1647, purchase date within recalled batch"
    run(django_capture_on_commit_callbacks, lambda: claim_approve(claim=claim, agent_id="7", note=note))
    public = list(claim_public_events(claim=claim))
    assert not any(note in (event.display_note or "") for event in public)
    assert any(event.new_status == ClaimStatus.APPROVED for event in public)
    internal = claim.events.get(kind=ClaimEvent.Kind.NOTE)
    assert (internal.note, internal.public, internal.actor_id) == (note, False, "7")


def test_the_status_page_says_how_long_a_review_takes_from_live_figures(
    client, review, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from claims.selectors import typical_review_days

    cache.clear()
    assert typical_review_days() is None
    for waited_hours in (20, 30, 80):
        claim = review()
        Claim.objects.filter(pk=claim.pk).update(
            created_at=timezone.now() - datetime.timedelta(hours=waited_hours)
        )
        run(django_capture_on_commit_callbacks, lambda claim=claim: claim_approve(claim=claim, agent_id="7"))
    cache.clear()
    assert typical_review_days() == 2  # the median wait, 30 hours, in whole days rounded up
    from claims.services import status_link_token

    waiting = review()
    page = client.get(f"/status/link/{status_link_token(waiting)}/").content.decode()
    assert "Claims are usually decided within 2 days." in page
    cache.clear()


def test_the_review_time_counts_only_agents_decisions_of_the_last_30_days_and_is_kept_ten_minutes(
    review, django_assert_num_queries, settings
):
    from django.core.cache import cache

    from claims.selectors import typical_review_days

    cache.clear()
    now = timezone.now()

    def decided(
        hours_waited,
        *,
        days_ago=0,
        by=ClaimEvent.Actor.AGENT,
        to=ClaimStatus.APPROVED,
        old=ClaimStatus.NEEDS_REVIEW,
    ):
        claim = review()
        decided_at = now - datetime.timedelta(days=days_ago)
        Claim.objects.filter(pk=claim.pk).update(
            created_at=decided_at - datetime.timedelta(hours=hours_waited)
        )
        ClaimEvent.objects.create(
            claim=claim, kind=ClaimEvent.Kind.STATUS_CHANGED, actor_kind=by, old_status=old, new_status=to
        )
        ClaimEvent.objects.filter(claim=claim, new_status=to).update(created_at=decided_at)

    decided(1)  # within the hour: still "1 day"
    decided(100, to=ClaimStatus.REJECTED)
    decided(500, days_ago=31)  # too long ago
    decided(500, by=ClaimEvent.Actor.SYSTEM)  # not an agent's decision
    decided(500, old=ClaimStatus.APPROVED, to=ClaimStatus.NEEDS_REVIEW)  # sent back, not decided
    decided(30)
    assert typical_review_days(now=now) == 2  # the median of 1, 30 and 100 hours
    with django_assert_num_queries(0):
        assert typical_review_days(now=now) == 2  # from the cache
    assert cache.get("claims.typical_review_days") == 2
    cache.clear()
    ClaimEvent.objects.all().delete()
    assert typical_review_days(now=now) is None
    with django_assert_num_queries(0):
        assert typical_review_days(now=now) is None  # "none yet" is kept too
    cache.clear()
    decided(1)
    assert typical_review_days(now=now) == 1
    cache.clear()
