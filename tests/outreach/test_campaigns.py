"""Campaigns of recall notices: waves planned with their stop rules, sent once each, and what the
owners did with them counted for the notice that moved them."""

import csv
import datetime
import hashlib
import io
import logging
import re

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.contacts import email_key
from claims.models import ClaimStatus
from core.models import OutboxMessage
from outreach.models import Campaign, Channel, KnownOwner, Notice, Wave
from outreach.services import (
    campaign_pause,
    campaign_resume,
    campaign_start,
    notice_bounced,
    notice_called,
    notice_link,
    notice_text,
    notices_send,
    wave_plan,
    waves_plan_due,
)
from tests.claims.conftest import recalled_serial
from tests.factories import ClaimFactory
from tests.logs import event_fields, logged_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(us_recall):
    model = us_recall.models.get()
    made = iter(range(1, 10_000))

    def make(**kw) -> KnownOwner:
        n = next(made)
        fields = {
            "name": f"Owner {n}",
            "email": f"owner{n}@example.com",
            "phone": "+12025550100",
            "address_line1": f"{n} Main Street",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
            "serial": recalled_serial(500 + n),
            **kw,
        }
        fields["email_key"] = email_key(fields["email"]) if fields["email"] else ""
        fields["row_key"] = hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()
        return KnownOwner.objects.create(recall=us_recall, model=model, **fields)

    return make


def first_wave(campaign: Campaign) -> Wave:
    return campaign.waves.get(number=1)


def test_starting_a_campaign_plans_its_first_wave_for_the_owners_it_may_reach(owner, us_recall):
    reached = [owner(), owner(serial="")]
    owner(covered=False)  # sold by the retailer, but its serial is in no recalled batch
    owner(country="DE")  # another market's campaign
    owner(erased_at=timezone.now())
    owner(email="", phone="", address_line1="")  # nothing to reach them by
    campaign = campaign_start(recall=us_recall, country="us")
    assert [(w.number, w.day, w.channel) for w in campaign.waves.all()] == [
        (1, 0, Channel.EMAIL),
        (2, 7, Channel.SMS),
        (3, 21, Channel.LETTER),
        (4, 45, Channel.CALL),
    ]
    wave = first_wave(campaign)
    assert wave.planned_at is not None and campaign.status == Campaign.Status.RUNNING
    assert set(wave.notices.values_list("owner", flat=True)) == {o.pk for o in reached}
    assert not campaign.waves.exclude(number=1).filter(planned_at__isnull=False).exists()
    # started again: nothing changes, nothing planned twice
    assert campaign_start(recall=us_recall, country="US").started_at == campaign.started_at
    assert wave_plan(wave=wave) == 0 and Notice.objects.count() == 2


def test_owners_who_claimed_or_handed_the_unit_in_get_no_wave(owner, us_recall):
    model = us_recall.models.get()
    by_serial, by_email, handed_in, rejected, plain = owner(), owner(), owner(), owner(), owner()
    ClaimFactory(recall=us_recall, model=model, serial=by_serial.serial)
    ClaimFactory(recall=us_recall, model=model, email_key=email_key("OWNER2+recall@example.com"))
    ClaimFactory(
        recall=us_recall,
        model=model,
        serial=handed_in.serial,
        status=ClaimStatus.CANCELLED,
        disposal_confirmed_at=timezone.now(),
    )
    ClaimFactory(recall=us_recall, model=model, serial=rejected.serial, status=ClaimStatus.REJECTED)
    campaign = campaign_start(recall=us_recall, country="US")
    notified = set(first_wave(campaign).notices.values_list("owner", flat=True))
    assert notified == {rejected.pk, plain.pk}  # a rejected claim leaves the unit at home
    assert by_email.pk not in notified


def test_an_owner_the_waves_channel_cannot_reach_gets_the_next_channel(owner, us_recall):
    no_email, bounced, no_phone = owner(email=""), owner(), owner(phone="")
    campaign = campaign_start(recall=us_recall, country="US")
    channels = dict(first_wave(campaign).notices.values_list("owner", "channel"))
    assert channels[no_email.pk] == Channel.SMS
    notice_bounced(notice=Notice.objects.get(owner=bounced))
    sms_wave = campaign.waves.get(number=2)
    wave_plan(wave=sms_wave)
    channels = dict(sms_wave.notices.values_list("owner", "channel"))
    assert channels[no_phone.pk] == Channel.LETTER and channels[bounced.pk] == Channel.SMS
    letters = campaign.waves.get(number=3)
    wave_plan(wave=letters)
    assert Notice.objects.get(wave=letters, owner=bounced).channel == Channel.LETTER
    email_again = Wave.objects.create(campaign=campaign, number=5, day=60, channel=Channel.EMAIL)
    wave_plan(wave=email_again)
    assert (
        Notice.objects.get(wave=email_again, owner=bounced).channel == Channel.SMS
    )  # never the bounced e-mail


def test_each_notice_is_e_mailed_once_with_its_own_link(
    owner, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    owners = [owner() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(recall=us_recall, country="US")
    assert len(mailoutbox) == 3
    assert notices_send() == 0  # all sent already: nothing twice
    assert len(mailoutbox) == 3
    notices = {n.owner_id: n for n in Notice.objects.all()}
    for message in mailoutbox:
        [to] = message.to
        notice = notices[next(o.pk for o in owners if o.email == to)]
        assert notice.status == Notice.Status.SENT and notice.sent_at is not None
        assert message.subject.startswith("Product safety recall")
        assert "PRODUCT SAFETY RECALL" in message.body and notice_link(notice.pk) in message.body
        assert message.extra_headers["Message-ID"] == f"<notice-{notice.pk}@example.com>"
        assert "voluntary" not in message.body.lower()
    links = {re.search(r"/r/(\S+)/", m.body)[1] for m in mailoutbox}
    assert len(links) == 3 and not any(o.email in link or str(o.pk) == link for o in owners for link in links)


def test_a_german_market_is_told_in_german(owner, us_recall, mailoutbox, django_capture_on_commit_callbacks):
    owner(country="DE")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(recall=us_recall, country="DE")
    [message] = mailoutbox
    assert message.subject.startswith("Produktsicherheitsrückruf")


def test_a_german_notice_gives_the_remedy_in_german_words_and_amounts(owner, us_recall, mailoutbox):
    """The remedies are worded once per batch, in the market's language (or the preview's)."""
    owner(country="DE")
    campaign = campaign_start(recall=us_recall, country="DE")
    assert notices_send() == 1
    [message] = mailoutbox
    assert "- Rückerstattung von 39,99 EUR\n" in message.body
    preview = notice_text(campaign=campaign, channel=Channel.EMAIL, language="en")
    assert "- Refund of 39.99 EUR\n" in preview.body


def test_an_sms_is_the_short_notice_and_an_e_mail_the_full_one(owner, us_recall, mailoutbox):
    """An SMS has room for what to do now and the link; the e-mail also says the hazard and the remedy."""
    owner()
    owner(email="")
    campaign_start(recall=us_recall, country="US")
    assert notices_send() == 2
    [message] = mailoutbox
    assert us_recall.hazard in message.body and "Your remedy, free of charge:" in message.body
    [sms] = OutboxMessage.objects.filter(topic=OutboxMessage.Topic.NOTICE_SMS)
    text = sms.payload["text"]
    assert len(text.splitlines()) == 1 and text.startswith("PRODUCT SAFETY RECALL: ")
    assert "Stop using and charging it now." in text and us_recall.hazard not in text


def test_the_daily_limit_holds_and_the_rest_goes_the_next_day(
    owner, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(5):
        owner()
    campaign = Campaign.objects.create(recall=us_recall, country="US", daily_limit=2)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(recall=us_recall, country="US")
    assert len(mailoutbox) == 2
    assert notices_send() == 0
    Campaign.objects.filter(pk=campaign.pk).update(
        sending_day=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert notices_send() == 2 and len(mailoutbox) == 4


def test_a_paused_campaign_sends_nothing_until_resumed(
    owner, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    owner()
    campaign = campaign_start(recall=us_recall, country="US")  # no on-commit run: nothing sent yet
    campaign_pause(campaign=campaign)
    assert notices_send() == 0 and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=campaign)
    assert len(mailoutbox) == 1


def test_a_claim_made_after_the_wave_was_planned_stops_its_notice(owner, us_recall, mailoutbox):
    claimed, other = owner(), owner()
    campaign_start(recall=us_recall, country="US")
    ClaimFactory(recall=us_recall, model=us_recall.models.get(), serial=claimed.serial)
    assert notices_send() == 1
    assert Notice.objects.get(owner=claimed).status == Notice.Status.STOPPED
    assert [m.to for m in mailoutbox] == [[other.email]]


def test_later_waves_wait_for_their_day_and_end_with_the_recall(owner, us_recall):
    owner()
    campaign = campaign_start(recall=us_recall, country="US")
    assert waves_plan_due() == 0
    assert waves_plan_due(now=campaign.started_at + datetime.timedelta(days=7, minutes=1)) == 1
    us_recall.active = False
    us_recall.save()
    assert notices_send() == 0  # before any sweep has ended the campaign
    assert waves_plan_due(now=campaign.started_at + datetime.timedelta(days=30)) == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ENDED
    assert notices_send() == 0


def test_an_sms_notice_is_owed_to_the_provider_through_the_outbox(owner, us_recall):
    sms_only = owner(email="")
    campaign_start(recall=us_recall, country="US")
    assert notices_send() == 1
    [message] = OutboxMessage.objects.filter(topic=OutboxMessage.Topic.NOTICE_SMS)
    notice = Notice.objects.get(owner=sms_only)
    assert message.payload["notice_id"] == notice.pk and message.payload["to"] == sms_only.phone
    assert notice_link(notice.pk) in message.payload["text"] and notice.status == Notice.Status.SENT


def test_the_link_records_the_opening_and_lands_on_the_prefilled_serial_check(owner, us_recall, client):
    known = owner()
    campaign_start(recall=us_recall, country="US")
    notice = Notice.objects.get()
    path = notice_link(notice.pk).split("testserver", 1)[-1].split("8000", 1)[-1]
    path = path[path.index("/r/") :]
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/?model_number=A1263&country=US&serial={known.serial}#result"
    assert response["Referrer-Policy"] == "no-referrer"
    notice.refresh_from_db()
    assert notice.opened_at is not None and notice.checked_at is None
    assert client.get(path.replace(path[4:8], "xxxx")).status_code == 404
    page = client.get(response["Location"].split("#")[0])
    assert page.status_code == 200
    notice.refresh_from_db()
    assert notice.checked_at is not None


def test_a_claim_made_from_the_link_counts_for_its_notice(
    owner, us_recall, client, django_capture_on_commit_callbacks
):
    known = owner(serial=recalled_serial(77))
    campaign_start(recall=us_recall, country="US")
    notice = Notice.objects.get()
    path = notice_link(notice.pk)
    client.get(path[path.index("/r/") :])
    from tests.claims.test_pages import claim_data

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/claim/", claim_data(serial=known.serial, email="someone.else@example.com"))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.claim is not None and notice.claim.serial == known.serial


def test_letters_go_to_the_print_house_once(owner, us_recall, tmp_path):
    by_letter = owner(email="", phone="")
    campaign_start(recall=us_recall, country="US")
    out = tmp_path / "letters.csv"
    call_command("letters_export", "--output", str(out), stderr=io.StringIO())
    rows = list(csv.DictReader(out.open()))
    notice = Notice.objects.get(owner=by_letter)
    assert [(r["notice_id"], r["name"], r["postal_code"], r["language"]) for r in rows] == [
        (str(notice.pk), by_letter.name, "12345", "en")
    ]
    assert rows[0]["link"] == notice_link(notice.pk)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    call_command("letters_export", "--output", str(out), stderr=io.StringIO())
    assert list(csv.DictReader(out.open())) == []


def test_a_letter_cell_a_spreadsheet_would_run_is_neutralised(owner, us_recall, tmp_path):
    owner(email="", phone="", name='=HYPERLINK("http://x")')
    campaign_start(recall=us_recall, country="US")
    out = tmp_path / "letters.csv"
    call_command("letters_export", "--output", str(out), stderr=io.StringIO())
    [row] = list(csv.DictReader(out.open()))
    assert not row["name"].startswith("=")


def test_provider_receipts_record_deliveries_and_bounces(owner, us_recall, tmp_path):
    delivered, bounced = owner(), owner()
    campaign_start(recall=us_recall, country="US")
    notices_send()
    ids = dict(Notice.objects.values_list("owner", "pk"))
    receipts = tmp_path / "receipts.csv"
    receipts.write_text(
        f"notice_id,event\n{ids[delivered.pk]},delivered\n{ids[bounced.pk]},bounced\n999999,bounced\n7,opened\n"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("notice_events_import", str(receipts), stdout=out, stderr=err)
    assert "2 rows applied, 2 refused" in out.getvalue()
    assert "line 4" in err.getvalue() and "line 5" in err.getvalue()
    assert Notice.objects.get(pk=ids[delivered.pk]).delivered_at is not None
    assert Notice.objects.get(pk=ids[bounced.pk]).status == Notice.Status.BOUNCED
    assert KnownOwner.objects.get(pk=bounced.pk).email_bounced


def test_the_campaign_start_command(owner, us_recall):
    owner()
    out = io.StringIO()
    call_command("campaign_start", "--recall", us_recall.code, "--country", "US", stdout=out)
    assert "running, 1 notices in its first wave" in out.getvalue()
    with pytest.raises(CommandError, match="No recall"):
        call_command("campaign_start", "--recall", "NOPE", "--country", "US")
    with pytest.raises(CommandError, match="has no market JP"):
        call_command("campaign_start", "--recall", us_recall.code, "--country", "JP")


def test_a_notice_that_cannot_be_sent_waits_its_retry_then_fails_after_all_attempts(
    owner, us_recall, settings, monkeypatch
):
    from smtplib import SMTPException

    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise SMTPException("450 mailbox busy")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    bad, good = owner(), owner(phone="")
    campaign_start(recall=us_recall, country="US")
    Notice.objects.filter(owner=good).update(channel=Channel.SMS)  # sent through the outbox: not refused
    assert notices_send() == 1  # one refusal does not stop the batch

    notice = Notice.objects.get(owner=bad)
    assert (notice.status, notice.attempts, notice.last_error) == (
        Notice.Status.PENDING,
        1,
        "SMTPException: 450 mailbox busy",
    )
    assert notice.lease_until > timezone.now() + datetime.timedelta(seconds=30)  # its retry, not at once
    assert notices_send() == 0  # not due again yet

    Notice.objects.filter(pk=notice.pk).update(lease_until=None, attempts=settings.RETRY_MAX_ATTEMPTS - 1)
    notices_send()
    notice.refresh_from_db()
    assert (notice.status, notice.lease_until) == (Notice.Status.FAILED, None)


def test_the_sweep_sets_sending_off_again_only_while_notices_are_due(
    owner, us_recall, django_capture_on_commit_callbacks, monkeypatch
):
    from core import dispatch
    from outreach.services import NOTICES_SEND_TASK, notices_sweep

    queued = []
    monkeypatch.setattr(dispatch, "_queue", lambda name, *args, **kwargs: queued.append(name))
    owner()
    campaign_start(recall=us_recall, country="US")
    with django_capture_on_commit_callbacks(execute=True):
        notices_sweep()
    assert queued.count(NOTICES_SEND_TASK) == 1

    queued.clear()
    Notice.objects.update(lease_until=timezone.now() + datetime.timedelta(minutes=5))  # being sent
    with django_capture_on_commit_callbacks(execute=True):
        notices_sweep()
    assert NOTICES_SEND_TASK not in queued

    Notice.objects.update(lease_until=None)
    campaign_pause(campaign=Campaign.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        notices_sweep()
    assert NOTICES_SEND_TASK not in queued


def test_a_receipt_marks_its_own_notice_only(owner, us_recall, tmp_path):
    delivered, other = owner(), owner()
    campaign_start(recall=us_recall, country="US")
    notices_send()
    receipts = tmp_path / "receipts.csv"
    receipts.write_text(f"notice_id,event\n{Notice.objects.get(owner=delivered).pk},delivered\n")
    call_command("notice_events_import", str(receipts), stdout=io.StringIO(), stderr=io.StringIO())
    assert Notice.objects.get(owner=delivered).delivered_at is not None
    assert Notice.objects.get(owner=other).delivered_at is None


def test_letters_are_exported_in_the_same_number_of_queries_however_many(
    owner, us_recall, django_assert_num_queries
):
    from outreach.services import letters_export

    owner(email="", phone="")
    campaign_start(recall=us_recall, country="US")
    with CaptureQueriesContext(connection) as one:
        letters_export(out=io.StringIO())
    for _ in range(3):
        owner(email="", phone="")
    Campaign.objects.update(status=Campaign.Status.RUNNING)
    wave_plan(wave=first_wave(Campaign.objects.get()))
    with CaptureQueriesContext(connection) as three:
        assert letters_export(out=io.StringIO()) == 3
    assert len(three) == len(one)


def test_a_sender_overtaken_after_its_lease_ran_out_leaves_the_notice_to_the_one_that_took_it(
    owner, us_recall, settings, monkeypatch
):
    """A stale sender's failure must not fail, re-time or mark with its error the attempt of the
    sender that took the notice meanwhile (even when the stale one was the last attempt)."""
    from smtplib import SMTPException

    from django.core.mail.backends.locmem import EmailBackend

    settings.RETRY_MAX_ATTEMPTS = 1
    theirs = timezone.now() + datetime.timedelta(minutes=5)

    def overtaken(self, messages):
        # The mail server was slow: the lease ran out and another sender took the notice.
        Notice.objects.update(attempts=F("attempts") + 1, lease_until=theirs)
        raise SMTPException("451 timed out")

    monkeypatch.setattr(EmailBackend, "send_messages", overtaken)
    owner()
    campaign_start(recall=us_recall, country="US")
    assert notices_send() == 0
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts, notice.lease_until, notice.last_error) == (
        Notice.Status.PENDING,
        2,
        theirs,
        "",
    )


def test_operators_read_each_pause_resume_failed_send_and_call_in_one_line(
    owner, us_recall, caplog, monkeypatch
):
    """Each line names what it is about (the campaign, the notice, the agent): what operators search by."""
    from smtplib import SMTPException

    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise SMTPException("450 mailbox busy")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    caplog.set_level(logging.INFO, logger="outreach.services")
    owner()
    owner(email="")
    campaign = campaign_start(recall=us_recall, country="US")
    campaign_pause(campaign=campaign)
    campaign_resume(campaign=campaign)
    for event in ("campaign.paused", "campaign.resumed"):
        assert [event_fields(r) for r in logged_events(caplog, event)] == [
            {"event": event, "campaign": f"{us_recall.code} US"}
        ]

    call = Notice.objects.get(channel=Channel.SMS)
    Notice.objects.filter(pk=call.pk).update(channel=Channel.CALL)  # for an agent, not the sender
    notices_send()
    e_mail = Notice.objects.get(channel=Channel.EMAIL)
    [failed] = logged_events(caplog, "notice.send_failed")
    assert failed.levelno == logging.WARNING
    assert event_fields(failed) == {
        "event": "notice.send_failed",
        "notice": e_mail.pk,
        "error": "SMTPException: 450 mailbox busy",
    }

    notice_called(notice=call, agent_id="7")
    assert [event_fields(r) for r in logged_events(caplog, "notice.called")] == [
        {"event": "notice.called", "notice": call.pk, "actor": "agent:7"}
    ]


@pytest.mark.postgres
@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to skip",
)
def test_a_sender_skips_the_notices_another_holds_and_sends_the_rest(
    transactional_db, owner, us_recall, mailoutbox, monkeypatch
):
    """SKIP LOCKED on the notices' rows only: another sender's locked notice is left to it, the others
    go at once, and nothing waits."""
    # Commits are real here: the wave is planned, and sent by this test only.
    monkeypatch.setattr("outreach.services.queue_after_commit", lambda *args, **kwargs: None)
    for _ in range(3):
        owner()
    campaign_start(recall=us_recall, country="US")
    held = Notice.objects.order_by("pk").first()
    other = connections.create_connection("default")  # another sender's own transaction
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {Notice._meta.db_table} WHERE id = %s FOR UPDATE", [held.pk])  # noqa: S608
        assert notices_send() == 2
    finally:
        other.rollback()
        other.close()
    assert len(mailoutbox) == 2 and held.owner.email not in {to for m in mailoutbox for to in m.to}
    held.refresh_from_db()
    assert (held.status, held.attempts) == (Notice.Status.PENDING, 0)
