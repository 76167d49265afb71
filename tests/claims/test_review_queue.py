"""The agents' review queue: take next, holds, decisions that open the next claim, canned reasons in
the customer's language, internal notes that stay internal."""

import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from claims.models import Claim, ClaimEvent, ClaimFlag, ClaimStatus, ReplyTemplate, ReviewSettings
from claims.services import (
    AgentWords,
    Decision,
    claim_approve,
    claim_decide,
    claim_hold_renew,
    claim_mark_for_review,
    claim_message_send,
    claim_reject,
    claim_release,
    claim_take_next,
)
from core.errors import ApplicationError, Conflict
from core.models import OutboxMessage
from core.roles import SUPPORT_AGENT
from tests.factories import ClaimFactory, attach_receipt
from tests.logs import event_fields, logged_events

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_roles")]

LIST = "/admin/claims/claim/"
NEXT = "/admin/claims/claim/next/"


def agent(username: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_AGENT))
    return user


@pytest.fixture
def in_review(us_recall):
    """A claim in review that has waited ``hours``."""
    model = us_recall.models.get()

    def make(hours: float = 1, **kw):
        since = timezone.now() - datetime.timedelta(hours=hours)
        return ClaimFactory(recall=us_recall, model=model, review_since=since, **kw)

    return make


@pytest.fixture
def alice(client):
    client.force_login(agent("alice"))
    return client


def opened(response) -> int | None:
    """The claim a redirect opens, if it opens one."""
    found = re.match(r"/admin/claims/claim/(\d+)/change/", response["Location"])
    return int(found[1]) if found else None


# -- take next -------------------------------------------------------------------------------------


def test_take_next_gives_the_longest_waiting_claim_nobody_holds(in_review):
    ann, bob = agent("ann"), agent("bob")
    newer, oldest, middle = in_review(hours=1), in_review(hours=30), in_review(hours=5)
    in_review(hours=50, status=ClaimStatus.APPROVED)  # waited longest, but no longer in review

    first = claim_take_next(agent=ann)
    assert first.pk == oldest.pk
    assert first.held_by_id == ann.pk
    lease = first.held_until - timezone.now()
    assert datetime.timedelta(minutes=14) < lease <= datetime.timedelta(minutes=15)
    assert claim_take_next(agent=ann).pk == oldest.pk  # pressing twice takes one claim
    assert claim_take_next(agent=bob).pk == middle.pk
    assert claim_take_next(agent=agent("cy")).pk == newer.pk
    assert claim_take_next(agent=agent("dee")) is None


def test_a_hold_that_ran_out_can_be_taken_by_another_agent(in_review):
    ann, bob = agent("ann"), agent("bob")
    claim = in_review()
    claim_take_next(agent=ann)
    Claim.objects.filter(pk=claim.pk).update(held_until=timezone.now() - datetime.timedelta(seconds=1))
    assert claim_take_next(agent=bob).pk == claim.pk
    assert Claim.objects.get(pk=claim.pk).held_by == bob


def test_take_next_keeps_to_the_queues_filter(alice, in_review):
    flagged_newer, plain_older = in_review(hours=1), in_review(hours=9)
    ClaimFlag.objects.create(claim=flagged_newer, reason=ClaimFlag.Reason.DUPLICATE_RECEIPT)
    response = alice.post(NEXT, {"_changelist_filters": "flagged=yes"})
    assert opened(response) == flagged_newer.pk
    assert "_changelist_filters=flagged%3Dyes" in response["Location"]
    assert Claim.objects.get(pk=plain_older.pk).held_by is None


def test_an_empty_queue_says_so_and_keeps_the_filter(alice):
    response = alice.post(NEXT, {"_changelist_filters": "country__exact=DE"})
    assert response["Location"] == f"{LIST}?country__exact=DE"
    page = alice.get(response["Location"]).content.decode()
    assert "No claim in this queue is waiting for an agent." in page


def test_the_list_shows_wait_against_target_flags_in_words_and_holder(alice, in_review):
    ReviewSettings.objects.update_or_create(pk=1, defaults={"target_hours": 24})
    late, fresh = in_review(hours=30), in_review(hours=2)
    ClaimFlag.objects.create(claim=late, reason=ClaimFlag.Reason.NEIGHBOURING_SERIALS)
    claim_take_next(agent=User.objects.get(username="alice"))
    page = alice.get(LIST).content.decode()
    assert "1 d 6 h (over target)" in page and "2 h 0 min" in page
    assert "Neighbouring serials claimed by other contacts" in page
    assert re.search(r"alice until \d\d:\d\d", page)
    assert page.index(late.reference) < page.index(fresh.reference)  # longest wait first
    assert 'accesskey="n"' in page and "Take next claim" in page


# -- the claim's page ----------------------------------------------------------------------------


def test_the_page_leads_with_flags_and_evidence_then_the_decision(alice, in_review, media):
    claim, other = in_review(language="de"), in_review()
    attach_receipt(claim)
    attach_receipt(other)
    ClaimFlag.objects.create(
        claim=claim, reason=ClaimFlag.Reason.DUPLICATE_RECEIPT, detail="Same receipt", related_claim=other
    )
    page = alice.get(f"{LIST}{claim.pk}/change/").content.decode()
    flags, evidence, context = (
        page.index('id="flags"'),
        page.index('id="evidence"'),
        page.index('id="context"'),
    )
    decision, details = page.index('id="decision"'), page.index("Accepted terms")
    assert flags < evidence < context < decision < details
    assert "Receipt used on another claim" in page and other.reference in page
    assert page.count("/admin/claims/claim/document/") >= 2  # both receipts, side by side
    assert "German (Deutsch)" in page
    assert re.search(r'<select name="template"[^>]*autofocus', page)
    for key in ("a", "r", "e", "m"):
        assert f'accesskey="{key}"' in page


def test_opening_a_held_claim_renews_the_hold_of_its_agent_only(alice, in_review):
    me = User.objects.get(username="alice")
    in_review(hours=2)
    other = in_review(hours=1)
    mine = claim_take_next(agent=me)
    soon = timezone.now() + datetime.timedelta(minutes=2)
    Claim.objects.filter(pk=mine.pk).update(held_until=soon)
    page = alice.get(f"{LIST}{mine.pk}/change/").content.decode()
    assert "You hold this claim" in page and "claims/hold.js" in page
    assert Claim.objects.get(pk=mine.pk).held_until > soon + datetime.timedelta(minutes=10)
    assert alice.post(f"{LIST}{mine.pk}/hold/", {"hold": "renew"}).status_code == 204
    assert alice.post(f"{LIST}{other.pk}/hold/", {"hold": "renew"}).status_code == 409


def test_a_claim_another_agent_holds_cannot_be_decided(alice, in_review, client):
    bob = agent("bob")
    claim = in_review()
    claim_take_next(agent=bob)
    page = alice.get(f"{LIST}{claim.pk}/change/").content.decode()
    assert "bob holds this claim until" in page and 'value="approve"' not in page
    response = alice.post(f"{LIST}{claim.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "is being reviewed by bob until" in response.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEEDS_REVIEW


def test_giving_a_claim_back_keeps_its_place(alice, in_review):
    claim, _newer = in_review(hours=8), in_review(hours=1)
    claim_take_next(agent=User.objects.get(username="alice"))
    alice.post(f"{LIST}{claim.pk}/hold/", {"hold": "release"})
    assert Claim.objects.get(pk=claim.pk).held_by is None
    assert claim_take_next(agent=agent("bob")).pk == claim.pk


# -- decisions --------------------------------------------------------------------------------------


def test_a_decision_releases_the_claim_and_opens_the_next(
    alice, in_review, django_capture_on_commit_callbacks
):
    first, second = in_review(hours=9), in_review(hours=3)
    assert opened(alice.post(NEXT, {"_changelist_filters": "status__exact=needs_review"})) == first.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(
            f"{LIST}{first.pk}/decide/",
            {"decision": "approve", "_changelist_filters": "status__exact=needs_review"},
        )
    assert opened(response) == second.pk
    assert "_changelist_filters=status__exact%3Dneeds_review" in response["Location"]
    first.refresh_from_db()
    assert first.status != ClaimStatus.NEEDS_REVIEW and first.held_by is None and first.held_until is None
    assert Claim.objects.get(pk=second.pk).held_by == User.objects.get(username="alice")


def test_re_review_of_a_claim_in_review_sends_it_to_the_back_of_the_queue(alice, in_review):
    first, second = in_review(hours=9), in_review(hours=3)
    alice.post(NEXT)
    response = alice.post(
        f"{LIST}{first.pk}/decide/", {"decision": "review", "note": "Second opinion on the receipt, please"}
    )
    assert opened(response) == second.pk
    first.refresh_from_db()
    assert first.status == ClaimStatus.NEEDS_REVIEW and first.held_by is None
    assert first.review_since > timezone.now() - datetime.timedelta(minutes=1)
    note = first.events.get(kind=ClaimEvent.Kind.NOTE)
    assert (note.note, note.public, note.free_text) == ("Second opinion on the receipt, please", False, True)


def test_a_canned_rejection_reaches_the_customer_in_the_claims_language(
    alice, in_review, mailoutbox, django_capture_on_commit_callbacks
):
    canned = ReplyTemplate.objects.create(
        kind=ReplyTemplate.Kind.REJECTION,
        title="Receipt unreadable",
        text_en="We could not read the receipt.",
        text_de="Wir konnten den Kaufbeleg nicht lesen.",
        text_ja="レシートが読み取れませんでした。",
    )
    german, japanese = in_review(language="de"), in_review(language="ja")
    with django_capture_on_commit_callbacks(execute=True):
        for claim in (german, japanese):
            alice.post(f"{LIST}{claim.pk}/decide/", {"decision": "reject", "template": canned.pk})
    german_mail = next(m for m in mailoutbox if german.email in m.to)
    japanese_mail = next(m for m in mailoutbox if japanese.email in m.to)
    assert "Wir konnten den Kaufbeleg nicht lesen." in german_mail.body
    assert "レシートが読み取れませんでした。" in japanese_mail.body
    assert "We could not read the receipt." not in german_mail.body + japanese_mail.body
    event = german.events.get(new_status=ClaimStatus.REJECTED)
    assert (event.reply_template, event.free_text, event.public) == (canned, False, True)
    assert event.note == "Wir konnten den Kaufbeleg nicht lesen."


def test_a_canned_reason_with_free_text_is_marked_as_both(alice, in_review, mailoutbox):
    canned = ReplyTemplate.objects.create(
        kind=ReplyTemplate.Kind.REJECTION, title="Other model", text_en="The unit is not a recalled model."
    )
    claim = in_review(language="de")  # no German text written: English it is
    alice.post(
        f"{LIST}{claim.pk}/decide/",
        {"decision": "reject", "template": canned.pk, "message": "It is an A1257."},
    )
    event = claim.events.get(new_status=ClaimStatus.REJECTED)
    assert event.note == "The unit is not a recalled model.\n\nIt is an A1257."
    assert (event.reply_template, event.free_text) == (canned, True)
    page = alice.get(f"{LIST}{claim.pk}/change/").content.decode()
    assert "Canned: Other model + free text" in page


def test_an_internal_note_never_reaches_the_customer(
    alice, in_review, mailoutbox, django_capture_on_commit_callbacks, client
):
    claim = in_review()
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(
            f"{LIST}{claim.pk}/decide/",
            {
                "decision": "reject",
                "message": "The receipt is for another shop's product.",
                "note": "Looks like the Springfield farm again",
            },
        )
    mail = "".join(m.body + m.subject for m in mailoutbox)
    assert "another shop's product" in mail and "Springfield farm" not in mail
    public = " ".join(e.display_note for e in claim.events.filter(public=True))
    assert "Springfield farm" not in public and "another shop's product" in public
    note = claim.events.get(kind=ClaimEvent.Kind.NOTE)
    assert (note.public, note.note) == (False, "Looks like the Springfield farm again")


def test_a_message_to_the_customer_is_e_mailed_and_on_the_timeline(
    alice, in_review, mailoutbox, django_capture_on_commit_callbacks
):
    canned = ReplyTemplate.objects.create(
        kind=ReplyTemplate.Kind.MESSAGE,
        title="Photo blurred",
        text_en="Please send a sharper photo.",
        text_de="Bitte senden Sie ein schärferes Foto.",
    )
    claim = in_review(language="de")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(f"{LIST}{claim.pk}/decide/", {"decision": "message", "template": canned.pk})
    assert opened(response) == claim.pk  # a message is no decision: the claim stays open
    [mail] = [m for m in mailoutbox if claim.email in m.to]
    assert "Bitte senden Sie ein schärferes Foto." in mail.body and claim.reference in mail.subject
    event = claim.events.get(kind=ClaimEvent.Kind.NOTE)
    assert event.public and event.reply_template == canned
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


def test_approval_needs_neither_note_nor_message(alice, in_review, mailoutbox):
    claim = in_review()
    alice.post(f"{LIST}{claim.pk}/decide/", {"decision": "approve"})
    claim.refresh_from_db()
    assert claim.status != ClaimStatus.NEEDS_REVIEW
    assert not claim.events.filter(kind=ClaimEvent.Kind.NOTE).exists()


def test_bulk_rejection_with_a_canned_reason(alice, in_review):
    canned = ReplyTemplate.objects.create(
        kind=ReplyTemplate.Kind.REJECTION,
        title="Not affected",
        text_en="Not affected.",
        text_de="Nicht betroffen.",
    )
    english, german = in_review(), in_review(language="de")
    alice.post(
        LIST,
        {
            "action": "reject_selected",
            "_selected_action": [english.pk, german.pk],
            "template": canned.pk,
            "reason": "",
        },
    )
    assert english.events.get(new_status="rejected").note == "Not affected."
    assert german.events.get(new_status="rejected").note == "Nicht betroffen."


# -- racing agents ----------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so nothing races",
)
def test_agents_pressing_take_next_at_once_get_different_claims(transactional_db, us_recall, staff_roles):
    model = us_recall.models.get()
    for hours in range(12):
        ClaimFactory(
            recall=us_recall, model=model, review_since=timezone.now() - datetime.timedelta(hours=hours)
        )
    agents = [agent(f"racer{n}") for n in range(8)]
    barrier = threading.Barrier(len(agents))

    def press(user: User) -> int | None:
        try:
            barrier.wait(timeout=60)
            taken = claim_take_next(agent=user)
            return taken.pk if taken else None
        finally:
            connection.close()

    for _round in range(2):  # twelve claims, sixteen presses: four agents find the queue empty
        with ThreadPoolExecutor(max_workers=len(agents)) as pool:
            taken = list(pool.map(press, agents))
        if _round == 0:
            assert None not in taken and len(set(taken)) == len(agents)
            Claim.objects.filter(pk__in=taken).update(
                status=ClaimStatus.APPROVED, held_by=None, held_until=None
            )
        else:
            got = [pk for pk in taken if pk is not None]
            assert len(got) == 4 and len(set(got)) == 4
    holders = Claim.objects.filter(status=ClaimStatus.NEEDS_REVIEW).values_list("held_by", flat=True)
    assert sorted(h is not None for h in holders) == [True] * 4


def test_bulk_decisions_leave_claims_another_agent_holds(alice, in_review):
    held, free = in_review(hours=5), in_review(hours=1)
    claim_take_next(agent=agent("bob"))
    response = alice.post(
        LIST, {"action": "approve_selected", "_selected_action": [held.pk, free.pk]}, follow=True
    )
    assert f"{held.reference}: bob is reviewing it." in response.content.decode()
    assert Claim.objects.get(pk=held.pk).status == ClaimStatus.NEEDS_REVIEW
    assert Claim.objects.get(pk=free.pk).status != ClaimStatus.NEEDS_REVIEW


# -- the services' outcomes, field by field ----------------------------------------------------------


def logged(caplog, event: str) -> list[dict]:
    return [event_fields(record) for record in logged_events(caplog, event)]


def test_a_decision_on_a_claim_another_agent_holds_says_who_until_when(in_review):
    bob, ann = agent("bob"), agent("ann")
    claim = in_review()
    held = claim_take_next(agent=bob)
    held = Claim.objects.select_related("held_by").get(pk=held.pk)
    with pytest.raises(Conflict) as refused:
        claim_decide(claim=held, agent=ann, decision=Decision.APPROVE)
    until = timezone.localtime(held.held_until).strftime("%H:%M")
    assert (refused.value.code, refused.value.detail) == (
        "claim_held",
        f"{claim.reference} is being reviewed by bob until {until}.",
    )


def test_an_unknown_decision_is_refused_and_changes_nothing(in_review):
    claim = in_review()
    with pytest.raises(ApplicationError) as refused:
        claim_decide(claim=claim, agent=agent("ann"), decision="maybe", note="hmm")
    assert refused.value.code == "validation_error"
    assert refused.value.fields == {"decision": ["Choose approve, reject or re-review."]}
    assert not claim.events.filter(kind=ClaimEvent.Kind.NOTE).exists()


def test_each_decision_writes_the_agents_note_for_agents_only(in_review):
    ann = agent("ann")
    for decision in (Decision.APPROVE, Decision.REJECT, Decision.REVIEW, Decision.MESSAGE):
        claim = in_review()
        claim_decide(
            claim=claim,
            agent=ann,
            decision=decision,
            message=AgentWords(text="Thanks for the photo."),
            note=f"note on {decision}",
        )
        notes = claim.events.filter(kind=ClaimEvent.Kind.NOTE, public=False)
        assert [(n.note, n.actor_kind, n.actor_id, n.free_text) for n in notes] == [
            (f"note on {decision}", "agent", str(ann.pk), True)
        ], decision


def test_a_message_is_one_public_event_and_one_e_mail_owed(in_review, caplog):
    ann, claim = agent("ann"), in_review()
    caplog.set_level("INFO")
    event = claim_message_send(claim=claim, agent_id=str(ann.pk), words=AgentWords(text="Please resend."))
    assert (event.kind, event.public, event.actor_kind, event.actor_id, event.note, event.free_text) == (
        ClaimEvent.Kind.NOTE,
        True,
        "agent",
        str(ann.pk),
        "Please resend.",
        True,
    )
    owed = OutboxMessage.objects.get(topic=OutboxMessage.Topic.CLAIM_EMAIL, payload__template="message")
    assert owed.payload == {"claim_id": claim.pk, "template": "message", "event_id": event.pk}
    assert logged(caplog, "claim.message_sent") == [
        {"event": "claim.message_sent", "claim": claim.reference, "actor": f"agent:{ann.pk}"}
    ]
    with pytest.raises(ApplicationError) as refused:
        claim_message_send(claim=claim, agent_id=str(ann.pk), words=AgentWords(text="  "))
    assert refused.value.fields == {"message": ["Write the message, or choose one."]}


def test_defaults_add_nothing_the_agent_did_not_write(in_review):
    canned = ReplyTemplate.objects.create(
        kind=ReplyTemplate.Kind.REJECTION, title="No", text_en="Not affected."
    )
    approved, rejected, back = in_review(), in_review(), in_review(status=ClaimStatus.APPROVED)
    claim_approve(claim=approved, agent_id="7")
    claim_reject(claim=rejected, agent_id="7", template=canned)
    claim_mark_for_review(claim=back, agent_id="7")
    assert not ClaimEvent.objects.filter(kind=ClaimEvent.Kind.NOTE).exists()
    assert rejected.events.get(new_status=ClaimStatus.REJECTED).note == "Not affected."
    approval = approved.events.get(new_status=ClaimStatus.APPROVED)
    assert (approval.actor_kind, approval.actor_id) == ("agent", "7")
    assert back.events.get(new_status=ClaimStatus.NEEDS_REVIEW).note == ""


def test_take_next_breaks_ties_by_age_then_id_and_logs_the_claim_taken(us_recall, caplog):
    model, since = us_recall.models.get(), timezone.now() - datetime.timedelta(hours=3)
    first, second = (ClaimFactory(recall=us_recall, model=model, review_since=since) for _ in range(2))
    ann, bob = agent("ann"), agent("bob")
    caplog.set_level("INFO")
    assert claim_take_next(agent=ann).pk == first.pk
    assert logged(caplog, "claim.taken") == [
        {"event": "claim.taken", "claim_id": first.pk, "actor": f"agent:{ann.pk}"}
    ]
    assert claim_take_next(agent=bob).pk == second.pk
    # two claims held by ann, both in the queue: the one waiting longest comes back first
    third = ClaimFactory(recall=us_recall, model=model, review_since=since - datetime.timedelta(hours=1))
    Claim.objects.filter(pk=third.pk).update(
        held_by=ann, held_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    assert claim_take_next(agent=ann).pk == third.pk


def test_an_agent_whose_hold_ran_out_takes_the_next_free_claim_not_the_old_one(in_review):
    ann = agent("ann")
    old, _other = in_review(hours=5), in_review(hours=1)
    claim_take_next(agent=ann)
    Claim.objects.filter(pk=old.pk).update(held_until=timezone.now() - datetime.timedelta(seconds=1))
    # the lapsed claim is free again, and oldest: ann gets it back, held anew
    again = claim_take_next(agent=ann)
    assert again.pk == old.pk and again.held_until > timezone.now()


def test_renew_and_release_touch_only_the_agents_own_claim_in_review(in_review):
    ann, bob = agent("ann"), agent("bob")
    mine, theirs = in_review(hours=5), in_review(hours=1)
    claim_take_next(agent=ann)
    claim_take_next(agent=bob)
    assert claim_release(claim=mine, agent=ann) is True
    assert Claim.objects.get(pk=theirs.pk).held_by == bob
    assert claim_release(claim=theirs, agent=ann) is False
    decided = in_review(status=ClaimStatus.APPROVED)
    Claim.objects.filter(pk=decided.pk).update(held_by=ann, held_until=timezone.now())
    assert claim_hold_renew(claim=decided, agent=ann) is None


def test_giving_one_claim_back_keeps_the_agents_other_holds(in_review):
    ann = agent("ann")
    one, other = in_review(hours=5), in_review(hours=4)
    soon = timezone.now() + datetime.timedelta(minutes=10)
    Claim.objects.filter(pk__in=[one.pk, other.pk]).update(held_by=ann, held_until=soon)
    assert claim_release(claim=one, agent=ann) is True
    assert Claim.objects.get(pk=other.pk).held_by == ann


def test_a_decision_without_a_note_writes_none(in_review):
    claim = in_review()
    claim_decide(claim=claim, agent=agent("ann"), decision=Decision.APPROVE)
    assert not claim.events.filter(kind=ClaimEvent.Kind.NOTE).exists()


def test_an_agents_own_hold_that_ran_out_is_not_kept_for_them(in_review):
    ann = agent("ann")
    lapsed, older = in_review(hours=1), in_review(hours=9)
    Claim.objects.filter(pk=lapsed.pk).update(
        held_by=ann, held_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert claim_take_next(agent=ann).pk == older.pk  # the queue's order again, not the lapsed hold


def test_the_review_figures_count_an_agents_approvals_and_rejections_of_claims_in_review_only(in_review):
    from claims.selectors import agent_review_decisions

    claim = in_review()

    def event(kind="status_changed", actor_kind="agent", old="needs_review", new="approved"):
        return ClaimEvent.objects.create(
            claim=claim, kind=kind, actor_kind=actor_kind, old_status=old, new_status=new
        )

    approved, rejected = event(), event(new="rejected")
    event(kind="note")  # an agent's words are no decision, whatever statuses they carry
    event(actor_kind="system")  # approved at intake
    event(old="approved", new="needs_review")  # sent back to review
    event(new="cancelled")
    assert set(agent_review_decisions()) == {approved, rejected}
