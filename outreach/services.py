"""Every write of the recall notices: campaigns and their waves, the notices planned and sent, and what
the owners did with them."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q, TextChoices
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from claims.models import RELEASED_STATUSES, Claim
from core.dispatch import queue_after_commit
from core.errors import ApplicationError, Conflict, NotFound
from core.models import OutboxMessage
from core.outbox import PermanentDeliveryError, outbox_put, webhook_post
from core.recovery import error_text, log_event, retry_at
from core.spreadsheets import csv_writer
from fulfilment.ledger_csv import CsvApplyReport, csv_apply
from recalls.countries import emergency_number
from recalls.models import Recall
from recalls.selectors import market_rule_get

from .models import CHANNEL_ORDER, DEFAULT_WAVES, Campaign, Channel, KnownOwner, Notice, Wave

logger = logging.getLogger(__name__)

NOTICES_SEND_TASK = "outreach.tasks.notices_send_task"
# The channels a sender delivers itself; letters go to the print house by CSV, calls to agents.
SENT_BY_WORKER = (Channel.EMAIL, Channel.SMS)
# The language of a market's notices.
MARKET_LANGUAGES = {"DE": "de", "AT": "de", "CH": "de", "JP": "ja"}
LINK_SALT = "outreach.notice-link"


# --- Campaigns ------------------------------------------------------------------------------------


def campaign_start(
    *, recall: Recall, country: str, waves: list[tuple[int, str]] | None = None, is_demo: bool = False
) -> Campaign:
    """Start the recall notices of a market with its wave plan (``DEFAULT_WAVES`` for a new one); the
    first wave is planned and sent at once. A campaign already running is left as it is."""
    country = country.upper()
    if market_rule_get(recall=recall, country=country) is None:
        raise NotFound("not_found", f"{recall.code} has no market {country}.")
    with transaction.atomic():
        campaign, _created = Campaign.objects.select_for_update().get_or_create(
            recall=recall, country=country, defaults={"is_demo": is_demo}
        )
        if campaign.status in (Campaign.Status.RUNNING, Campaign.Status.PAUSED):
            return campaign
        if campaign.status == Campaign.Status.ENDED:
            raise Conflict("invalid_transition", f"The {campaign} campaign has ended.")
        if not campaign.waves.exists():
            Wave.objects.bulk_create(
                Wave(campaign=campaign, number=number, day=day, channel=channel)
                for number, (day, channel) in enumerate(waves or DEFAULT_WAVES, start=1)
            )
        campaign.status, campaign.started_at = Campaign.Status.RUNNING, timezone.now()
        campaign.save(update_fields=["status", "started_at"])
    log_event(logger, "campaign.started", campaign=str(campaign))
    waves_plan_due()
    return campaign


def campaign_pause(*, campaign: Campaign) -> Campaign:
    """No notice of a paused campaign is sent; those taken already finish."""
    changed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.RUNNING).update(
        status=Campaign.Status.PAUSED
    )
    if not changed:
        raise Conflict("invalid_transition", f"The {campaign} campaign is not running.")
    log_event(logger, "campaign.paused", campaign=str(campaign))
    campaign.refresh_from_db()
    return campaign


def campaign_resume(*, campaign: Campaign) -> Campaign:
    with transaction.atomic():
        changed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PAUSED).update(
            status=Campaign.Status.RUNNING
        )
        if not changed:
            raise Conflict("invalid_transition", f"The {campaign} campaign is not paused.")
        queue_after_commit(NOTICES_SEND_TASK)
    log_event(logger, "campaign.resumed", campaign=str(campaign))
    campaign.refresh_from_db()
    return campaign


def campaigns_end_with_their_recall() -> int:
    """A campaign whose recall ended (inactive, or past its claim deadline) sends nothing more."""
    today = timezone.localdate()
    ended = Recall.objects.filter(Q(active=False) | Q(claim_deadline__lt=today))
    return Campaign.objects.filter(
        recall__in=ended, status__in=[Campaign.Status.RUNNING, Campaign.Status.PAUSED]
    ).update(status=Campaign.Status.ENDED, ended_at=timezone.now())


# --- Planning a wave: one notice per owner it reaches ------------------------------------------------

_REACHABLE = {
    Channel.EMAIL: "(o.email <> '' AND NOT o.email_bounced)",
    Channel.SMS: "o.phone <> ''",
    Channel.LETTER: "(o.address_line1 <> '' AND o.postal_code <> '')",
    Channel.CALL: "o.phone <> ''",
}


def _fallbacks(channel: str) -> list[str]:
    """The wave's channel first, then the others in their order: an owner without an e-mail (or whose
    e-mail bounced) gets the wave by the next channel that reaches them."""
    start = CHANNEL_ORDER.index(channel)
    return [*CHANNEL_ORDER[start:], *CHANNEL_ORDER[:start]]


def _plan_sql(channel: str) -> str:
    order = _fallbacks(channel)
    chosen = " ".join(f"WHEN {_REACHABLE[c]} THEN '{c.value}'" for c in order)
    released = ", ".join(f"'{status}'" for status in RELEASED_STATUSES)
    # The blank keys of erased claims and owners match nothing: said on both sides, so the database
    # never pairs a million owners without an e-mail with every erased claim.
    # Stop rules: the owner's unit or e-mail has a claim (a rejected or cancelled one does not count:
    # the unit may still be at home), or a centre confirmed the unit.
    # Only the channel names and statuses above are formatted in; the values are parameters.
    return f"""
        INSERT INTO outreach_notice (wave_id, owner_id, channel, status, attempts, last_error)
        SELECT %s, o.id, CASE {chosen} END, 'pending', 0, ''
        FROM outreach_knownowner o
        WHERE o.recall_id = %s AND o.country = %s AND o.covered AND o.erased_at IS NULL
          AND ({" OR ".join(_REACHABLE[c] for c in order)})
          AND NOT EXISTS (
              SELECT 1 FROM claims_claim c
              WHERE o.serial <> '' AND c.serial <> '' AND c.model_id = o.model_id AND c.serial = o.serial
                AND (c.status NOT IN ({released}) OR c.disposal_confirmed_at IS NOT NULL))
          AND NOT EXISTS (
              SELECT 1 FROM claims_claim c
              WHERE o.email_key <> '' AND c.email_key <> '' AND c.email_key = o.email_key
                AND c.status NOT IN ({released}))
          AND NOT EXISTS (
              SELECT 1 FROM disposal_disposalconfirmation d JOIN claims_claim c ON c.id = d.claim_id
              WHERE o.serial <> '' AND d.serial_observed <> '' AND d.serial_observed = o.serial
                AND c.model_id = o.model_id)
        ON CONFLICT (wave_id, owner_id) DO NOTHING
    """  # noqa: S608


def wave_plan(*, wave: Wave) -> int:
    """Write the wave's notices, one per owner it reaches, in one statement: a million owners are a
    million rows, never a million messages in the broker. Planning twice writes nothing new."""
    campaign = wave.campaign
    with transaction.atomic():
        locked = Wave.objects.select_for_update().get(pk=wave.pk)
        with connection.cursor() as cursor:
            cursor.execute(_plan_sql(locked.channel), [locked.pk, campaign.recall_id, campaign.country])
            planned = cursor.rowcount
        if locked.planned_at is None:
            locked.planned_at = timezone.now()
            locked.save(update_fields=["planned_at"])
        queue_after_commit(NOTICES_SEND_TASK)
    log_event(logger, "wave.planned", wave=str(locked), notices=planned)
    return planned


def waves_plan_due(*, now: datetime.datetime | None = None) -> int:
    """Plan each wave of a running campaign whose day has come (the beat's hourly look)."""
    now = now or timezone.now()
    campaigns_end_with_their_recall()
    due = [
        wave
        for wave in Wave.objects.filter(
            planned_at__isnull=True, campaign__status=Campaign.Status.RUNNING
        ).select_related("campaign")
        if wave.campaign.started_at + datetime.timedelta(days=wave.day) <= now
    ]
    for wave in due:
        wave_plan(wave=wave)
    return len(due)


# --- Sending ---------------------------------------------------------------------------------------


def notice_link(notice_id: int) -> str:
    """The notice's tracked link: its id, signed, so no one can guess another's and nothing personal
    is in it."""
    token = signing.Signer(salt=LINK_SALT).sign(str(notice_id))
    return f"{settings.SITE_URL.rstrip('/')}{reverse('outreach:notice-link', args=[token])}"


def notice_for_link(token: str) -> Notice | None:
    try:
        notice_id = int(signing.Signer(salt=LINK_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Notice.objects.select_related("owner__model", "wave__campaign").filter(pk=notice_id).first()


def _take(*, limit: int, now: datetime.datetime) -> list[Notice]:
    """Take up to ``limit`` due notices for this sender, within each campaign's daily limit: the
    campaign's row is locked while its share is counted, and the notices are skipped by other senders
    (SKIP LOCKED on PostgreSQL) and held by a lease."""
    taken: list[Notice] = []
    today = timezone.localdate(now)
    sending = Campaign.objects.filter(status=Campaign.Status.RUNNING, recall__active=True).exclude(
        recall__claim_deadline__lt=today  # a recall that ended sends nothing, sweep or not
    )
    for campaign_id in sending.values_list("pk", flat=True):
        if len(taken) >= limit:
            break
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if campaign.status != Campaign.Status.RUNNING:
                continue
            used = campaign.sent_that_day if campaign.sending_day == today else 0
            share = min(limit - len(taken), campaign.daily_limit - used)
            if share <= 0:
                continue
            due = (
                Notice.objects.filter(
                    wave__campaign=campaign,
                    status=Notice.Status.PENDING,
                    channel__in=SENT_BY_WORKER,
                )
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
                .order_by("wave_id", "id")
            )
            ids = list(
                due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:share]
            )
            if not ids:
                continue
            Notice.objects.filter(pk__in=ids).update(
                lease_until=now + datetime.timedelta(seconds=settings.NOTICE_SEND_LEASE_SECONDS),
                attempts=F("attempts") + 1,
            )
            campaign.sending_day, campaign.sent_that_day = today, used + len(ids)
            campaign.save(update_fields=["sending_day", "sent_that_day"])
        taken += Notice.objects.filter(pk__in=ids).select_related("owner__model", "wave__campaign__recall")
    return taken


def _stop_claimed(notices: list[Notice]) -> list[Notice]:
    """Stop the notices whose owner claimed (or handed the unit in) since the wave was planned; the
    others, to be sent. One query per rule for the whole batch."""
    units = {notice.owner.serial for notice in notices if notice.owner.serial}
    emails = {notice.owner.email_key for notice in notices if notice.owner.email_key}
    claimed_units = set(
        Claim.objects.filter(serial__in=units)
        .filter(Q(disposal_confirmed_at__isnull=False) | ~Q(status__in=RELEASED_STATUSES))
        .values_list("model_id", "serial")
    )
    claimed_emails = set(
        Claim.objects.filter(email_key__in=emails)
        .exclude(status__in=RELEASED_STATUSES)
        .values_list("email_key", flat=True)
    )

    def claimed(owner: KnownOwner) -> bool:
        return (owner.model_id, owner.serial) in claimed_units or owner.email_key in claimed_emails

    stop = [notice.pk for notice in notices if claimed(notice.owner)]
    Notice.objects.filter(pk__in=stop, status=Notice.Status.PENDING).update(
        status=Notice.Status.STOPPED, lease_until=None
    )
    return [notice for notice in notices if notice.pk not in set(stop)]


def market_language(country: str) -> str:
    return MARKET_LANGUAGES.get(country, settings.LANGUAGE_CODE[:2])


@dataclass(frozen=True)
class NoticeText:
    subject: str
    body: str


def notice_market(campaign: Campaign, *, language: str | None = None) -> dict:
    """What every notice of a campaign says alike, read once per batch: the recall, its models, the
    remedies of the market in its language (or ``language``: the previews show English too)."""
    from claims.views import offer_lines  # the remedies in the words the pages use

    recall = campaign.recall
    with translation.override(language or market_language(campaign.country)):
        return {
            "recall": recall,
            "models": list(recall.models.all()),
            "remedies": offer_lines(market_rule_get(recall=recall, country=campaign.country)),
            "emergency_number": emergency_number(campaign.country),
            "sections": [],
        }


def notice_text(
    *,
    campaign: Campaign,
    channel: str,
    owner: KnownOwner | None = None,
    link: str = "",
    market: dict | None = None,
    language: str | None = None,
) -> NoticeText:
    """A notice as the owner reads it, in the market's language (or ``language``, for a preview): the
    heading the regulations ask for ("Product safety recall"), the product, the hazard in plain words,
    what to do now, the remedy. ``market``: ``notice_market(campaign)``, when the caller has it."""
    language = language or market_language(campaign.country)
    context = {
        **(market or notice_market(campaign, language=language)),
        "owner": owner,
        "model": owner.model if owner is not None else None,
        "link": link or f"{settings.SITE_URL.rstrip('/')}/",
    }
    with translation.override(language):
        template = "sms" if channel == Channel.SMS else "notice"
        subject = render_to_string("outreach/notice_subject.txt", context).strip()
        body = render_to_string(f"outreach/{template}.txt", context)
    return NoticeText(subject=subject, body=body)


def _mark_sent(notice: Notice, *, now: datetime.datetime) -> bool:
    # Only the attempt that took it: a sender whose lease ran out and was overtaken marks nothing.
    # The one statement each notice costs its sender, written out: through the ORM the same UPDATE took
    # nearly four times the CPU, a quarter of a notice's (bench/outreach_waves.py). Values adapted as
    # the ORM adapts them.
    sent, pending = Notice.Status.SENT.value, Notice.Status.PENDING.value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Notice._meta.db_table} SET status = %s, sent_at = %s, lease_until = NULL, "  # noqa: S608 - the table's name only
            "last_error = '' WHERE id = %s AND status = %s AND attempts = %s",
            [sent, connection.ops.adapt_datetimefield_value(now), notice.pk, pending, notice.attempts],
        )
        return cursor.rowcount > 0


def _text(notice: Notice, markets: dict[int, dict]) -> NoticeText:
    campaign = notice.wave.campaign
    if campaign.pk not in markets:
        markets[campaign.pk] = notice_market(campaign)
    return notice_text(
        campaign=campaign,
        channel=notice.channel,
        owner=notice.owner,
        link=notice_link(notice.pk),
        market=markets[campaign.pk],
    )


def _send_email(notice: Notice, text: NoticeText, mail_connection) -> None:
    message = EmailMessage(
        text.subject,
        text.body,
        settings.DEFAULT_FROM_EMAIL,
        [notice.owner.email],
        connection=mail_connection,
        # The same for every attempt at this notice: a copy sent again after a worker died between the
        # mail server's answer and the commit is one message to the owner's mailbox.
        headers={"Message-ID": f"<notice-{notice.pk}@{_mail_domain()}>"},
    )
    message.send()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The mark does not wait for the log's flush (half a sender's time): a crash of the database
            # itself may lose the last fraction of a second of marks, and those notices go again with
            # the same Message-ID. An SMS, owed to the outbox, is marked durably.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        _mark_sent(notice, now=timezone.now())


def _send_sms(notice: Notice, text: NoticeText) -> None:
    """An SMS is owed to the provider's webhook through the outbox, in the same transaction as the
    notice is marked sent: the provider hears of it exactly once."""
    with transaction.atomic():
        if _mark_sent(notice, now=timezone.now()):
            outbox_put(
                topic=OutboxMessage.Topic.NOTICE_SMS,
                payload={"notice_id": notice.pk, "to": notice.owner.phone, "text": text.body},
            )


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"


def _send_failed(notice: Notice, exc: Exception) -> None:
    failed = notice.attempts >= settings.RETRY_MAX_ATTEMPTS
    Notice.objects.filter(pk=notice.pk, status=Notice.Status.PENDING, attempts=notice.attempts).update(
        status=Notice.Status.FAILED if failed else Notice.Status.PENDING,
        lease_until=None if failed else retry_at(attempts=notice.attempts, first_after_seconds=60),
        last_error=error_text(exc),
    )
    log_event(logger, "notice.send_failed", logging.WARNING, notice=notice.pk, error=error_text(exc))


def notices_send(*, limit: int | None = None) -> int:
    """Send one batch of due e-mail and SMS notices; the number sent. Each notice is sent by the attempt
    that took it and marked sent right after, one by one, so a worker killed mid-batch leaves the rest
    to the next sender once its lease runs out."""
    now, limit = timezone.now(), limit or settings.NOTICE_SEND_BATCH
    taken = _take(limit=limit, now=now)
    notices = _stop_claimed(taken)
    sent, markets = 0, {}
    with get_connection() as mail_connection:
        for notice in notices:
            try:
                text = _text(notice, markets)
                if notice.channel == Channel.EMAIL:
                    _send_email(notice, text, mail_connection)
                else:
                    _send_sms(notice, text)
                sent += 1
            except Exception as exc:  # one bad address or a provider's hiccup must not stop the batch
                _send_failed(notice, exc)
    if len(taken) == limit:
        queue_after_commit(NOTICES_SEND_TASK)  # more are due: the next batch, as a new task
    return sent


def notices_sweep() -> int:
    """The beat's backstop: due waves planned, and sending set off again if a task was lost."""
    planned = waves_plan_due()
    if (
        Notice.objects.filter(
            status=Notice.Status.PENDING,
            channel__in=SENT_BY_WORKER,
            wave__campaign__status=Campaign.Status.RUNNING,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=timezone.now()))
        .exists()
    ):
        queue_after_commit(NOTICES_SEND_TASK)
    return planned


# --- What the owners did --------------------------------------------------------------------------


def notice_opened(*, notice: Notice) -> None:
    """The owner followed the notice's link (the first time counts)."""
    Notice.objects.filter(pk=notice.pk, opened_at__isnull=True).update(opened_at=timezone.now())


def notice_checked_from(attribution: dict) -> None:
    """The owner checked their serial after following the notice's link (the first check counts)."""
    notice_id = attribution.get("notice")
    if isinstance(notice_id, int):
        Notice.objects.filter(pk=notice_id, checked_at__isnull=True).update(checked_at=timezone.now())


def notice_claim_attribute(claim: Claim, attribution: dict) -> None:
    """A claim made after following a notice's link counts for that notice, its wave and channel."""
    notice_id = attribution.get("notice")
    if isinstance(notice_id, int):
        Notice.objects.filter(pk=notice_id, claim__isnull=True).update(claim=claim)


def notice_bounced(*, notice: Notice) -> None:
    """A hard bounce: the owner's e-mail is not used again; the next waves reach them by the next
    channel they have."""
    with transaction.atomic():
        Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.BOUNCED)
        if notice.channel == Channel.EMAIL:
            KnownOwner.objects.filter(pk=notice.owner_id).update(email_bounced=True)
    log_event(logger, "notice.bounced", notice=notice.pk, channel=notice.channel)


def notice_delivered(*, notice: Notice) -> None:
    Notice.objects.filter(pk=notice.pk, delivered_at__isnull=True).update(delivered_at=timezone.now())


def sms_webhook_deliver(message: OutboxMessage) -> int:
    """The SMS provider receives each SMS notice by an HMAC-signed webhook."""
    if not settings.SMS_WEBHOOK_URL:
        raise PermanentDeliveryError("SMS_WEBHOOK_URL is not set.")
    return webhook_post(message, url=settings.SMS_WEBHOOK_URL, secret=settings.SMS_WEBHOOK_SECRET)


def notice_called(*, notice: Notice, agent_id: str) -> None:
    """An agent called the owner from the call list."""
    if not _mark_sent(notice, now=timezone.now()):
        raise Conflict("invalid_transition", "This call is done already.")
    log_event(logger, "notice.called", notice=notice.pk, actor=f"agent:{agent_id}")


# --- Letters and provider events -------------------------------------------------------------------

LETTER_COLUMNS = [
    "notice_id",
    "name",
    "address_line1",
    "postal_code",
    "city",
    "country",
    "language",
    "model_number",
    "serial",
    "link",
]


def letters_export(*, out: IO[str]) -> int:
    """Write the letters due to the print house as CSV (cells a spreadsheet would run neutralised) and
    count them as sent, in one transaction: an export that fails sends nothing and leaves them for the
    next one."""
    now = timezone.now()
    writer = csv_writer(out)
    writer.writerow(LETTER_COLUMNS)
    exported: list[int] = []
    with transaction.atomic():
        due = (
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                channel=Channel.LETTER,
                status=Notice.Status.PENDING,
                wave__campaign__status=Campaign.Status.RUNNING,
            )
            .select_related("owner__model", "wave__campaign")
            .order_by("pk")
        )
        for notice in due.iterator(chunk_size=2000):
            owner = notice.owner
            writer.writerow(
                [
                    notice.pk,
                    owner.name,
                    owner.address_line1,
                    owner.postal_code,
                    owner.city,
                    owner.country,
                    market_language(notice.wave.campaign.country),
                    owner.model.model_number,
                    owner.serial,
                    notice_link(notice.pk),
                ]
            )
            exported.append(notice.pk)
        for start in range(0, len(exported), 5000):
            Notice.objects.filter(pk__in=exported[start : start + 5000]).update(
                status=Notice.Status.SENT, sent_at=now, lease_until=None
            )
    log_event(logger, "notices.letters_exported", letters=len(exported))
    return len(exported)


class NoticeEvent(TextChoices):
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Hard bounce"


def notice_events_apply(*, source: IO[str]) -> CsvApplyReport:
    """The providers' receipts (e-mail and SMS), as CSV with the columns ``notice_id,event``: each
    notice delivered, or a hard bounce (the owner's next notices go by their next channel)."""

    def apply(row: dict[str, str]) -> None:
        if row["event"] not in NoticeEvent.values:
            raise ApplicationError("validation_error", f"event is one of {', '.join(NoticeEvent.values)}.")
        notice = Notice.objects.filter(pk=int(row["notice_id"]) if row["notice_id"].isdigit() else 0).first()
        if notice is None:
            raise NotFound("not_found", f"No notice {row['notice_id']}.")
        if row["event"] == NoticeEvent.BOUNCED:
            notice_bounced(notice=notice)
        else:
            notice_delivered(notice=notice)

    return csv_apply(source, ["notice_id", "event"], apply)
