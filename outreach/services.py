"""Every write of the recall notices: the known owners they go to, campaigns and their waves, the
notices planned and sent, and what the owners did with them."""

from __future__ import annotations

import csv
import datetime
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Field, Q, TextChoices
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from claims.contacts import email_key
from claims.models import RELEASED_STATUSES, Claim
from core.bulk_import import UnreadableText, staging_load, staging_table, text_lines
from core.dispatch import queue_after_commit
from core.errors import ApplicationError, Conflict, NotFound
from core.models import OutboxMessage
from core.outbox import PermanentDeliveryError, outbox_put, webhook_post
from core.recovery import error_text, log_event, retry_at
from core.spreadsheets import csv_writer
from fulfilment.ledger_csv import CsvApplyReport, csv_apply
from recalls.countries import emergency_number
from recalls.models import BatchMarket, ProductModel, Recall, RecalledBatch, RecalledSerial, SerialRange
from recalls.selectors import market_rule_get
from recalls.services import country_require, serial_require

from .models import CHANNEL_ORDER, DEFAULT_WAVES, Campaign, Channel, KnownOwner, Notice, Wave

logger = logging.getLogger(__name__)

NOTICES_SEND_TASK = "outreach.tasks.notices_send_task"
# The channels a sender delivers itself; letters go to the print house by CSV, calls to agents.
SENT_BY_WORKER = (Channel.EMAIL, Channel.SMS)
# The language of a market's notices.
MARKET_LANGUAGES = {"DE": "de", "AT": "de", "CH": "de", "JP": "ja"}
LINK_SALT = "outreach.notice-link"


# --- Known owners ---------------------------------------------------------------------------------

OWNERS_HEADER = [
    "name",
    "email",
    "phone",
    "address_line1",
    "city",
    "postal_code",
    "country",
    "model_number",
    "serial",
    "purchased_on",
]
BAD_LINES_KEPT = 100
_STAGING = "known_owner_import_staging"
_STAGING_COLUMNS = [
    ("model_id", "bigint"),
    ("name", "text"),
    ("email", "text"),
    ("phone", "text"),
    ("address_line1", "text"),
    ("city", "text"),
    ("postal_code", "text"),
    ("country", "text"),
    ("serial", "text"),
    ("purchased_on", "date"),
    ("row_key", "text"),
    ("email_key", "text"),
    # Known to be covered: no serial, or one a batch lists. The INSERTs add the ranges' (one condition).
    ("covered", "boolean"),
]
# Kept as written but for these, which a phone number is written with in every country.
_PHONE_SEPARATORS = str.maketrans("", "", " \t-./()")
_MAX_LENGTHS: dict[str, int] = {
    name: cast(int, cast(Field, KnownOwner._meta.get_field(name)).max_length)
    for name in ("name", "email", "phone", "address_line1", "city", "postal_code", "source")
}
# Not looked up yet (None is an answer: not a model of the recall, not a country).
_UNSEEN: Any = object()


class OwnersImportError(Exception):
    """The file as a whole cannot be imported; nothing of it was kept."""


@dataclass(frozen=True)
class OwnersImported:
    imported: int
    # Known already: from an earlier import for the recall, or from an earlier line of the file.
    skipped_known: int
    # Of those imported: the serial is outside every batch recalled in the owner's country.
    not_covered: int
    # (line number, what is wrong): the first BAD_LINES_KEPT of bad_line_count.
    bad_lines: tuple[tuple[int, str], ...]
    bad_line_count: int


class _OwnerRows:
    """The rows of a contacts file, validated and normalised as the staging table takes them.

    Reads the header when made (a wrong one raises before anything is written); then yields one row per
    good line and records the bad ones with their line numbers (the header is line 1).
    """

    def __init__(self, lines: Iterable[bytes], models: dict[str, ProductModel], recall: Recall) -> None:
        self.reader = csv.reader(text_lines(lines))
        self.recall = recall
        self.models = models
        self.bad: list[tuple[int, str]] = []
        self.bad_count = 0
        try:
            header = next(self.reader, None)
        except (csv.Error, UnreadableText) as exc:
            raise OwnersImportError(self._malformed(exc)) from None
        expected = ",".join(OWNERS_HEADER)
        if header is None:
            raise OwnersImportError(f"The file is empty: its first line must be the header {expected}.")
        if [cell.strip().lower() for cell in header] != OWNERS_HEADER:
            found = ",".join(header)[:200]
            raise OwnersImportError(f"The first line must be the header {expected}, not {found!r}.")

    def _malformed(self, exc: Exception) -> str:
        if isinstance(exc, UnreadableText):
            return str(exc)
        return f"Line {self.reader.line_num}: the CSV is malformed ({exc})."

    def reject(self, line: int, message: str) -> None:
        self.bad_count += 1
        if len(self.bad) < BAD_LINES_KEPT:
            self.bad.append((line, message))

    def __iter__(self) -> Iterator[tuple]:
        try:
            yield from self._rows()
        except (csv.Error, UnreadableText) as exc:
            raise OwnersImportError(self._malformed(exc)) from None

    def _rows(self) -> Iterator[tuple]:
        # Each distinct model number and country is checked once: a file has a handful of each.
        model_for: dict[str, ProductModel | None] = {}
        country_for: dict[str, str | None] = {}
        columns = len(OWNERS_HEADER)
        limits = _MAX_LENGTHS
        for row in self.reader:
            if len(row) != columns:
                if any(cell.strip() for cell in row):
                    self.reject(self.reader.line_num, f"{len(row)} columns, expected {columns}")
                continue
            name, email, phone, address, city, postal, country_raw, model_raw, serial_raw, bought = row
            model = model_for.get(model_raw, _UNSEEN)
            if model is _UNSEEN:
                model = model_for[model_raw] = self.models.get(model_raw.strip().upper())
            country = country_for.get(country_raw, _UNSEEN)
            if country is _UNSEEN:
                country = country_for[country_raw] = self._country(country_raw)
            if model is None or country is None:
                if any(cell.strip() for cell in row):
                    self.reject(self.reader.line_num, self._model_or_country(model, model_raw, country_raw))
                continue
            name, address, city = " ".join(name.split()), " ".join(address.split()), " ".join(city.split())
            email = email.strip().lower()
            phone = phone.translate(_PHONE_SEPARATORS)
            postal = " ".join(postal.split()).upper()
            serial = ""
            if serial_raw.strip():
                try:
                    serial = serial_require(model=model, serial=serial_raw)
                except ApplicationError:
                    message = f"serial {serial_raw.strip()[:40]!r} is not a serial number of model "
                    self.reject(self.reader.line_num, message + model.model_number)
                    continue
            bought = bought.strip()
            purchased_on = None
            if bought:
                try:
                    purchased_on = datetime.date.fromisoformat(bought)
                except ValueError:
                    self.reject(
                        self.reader.line_num, f"purchased_on {bought[:40]!r} is not a date (YYYY-MM-DD)"
                    )
                    continue
            if (
                len(name) > limits["name"]
                or len(email) > limits["email"]
                or len(phone) > limits["phone"]
                or len(address) > limits["address_line1"]
                or len(city) > limits["city"]
                or len(postal) > limits["postal_code"]
            ):
                self.reject(self.reader.line_num, self._too_long(name, email, phone, address, city, postal))
                continue
            # NUL separates the key's parts: no text field may hold one (nor can PostgreSQL store it).
            key_text = "\0".join((model.model_number, serial, email, phone, address, postal, country, name))
            if key_text.count("\0") != 7 or "\0" in city:
                self.reject(self.reader.line_num, "contains a NUL character")
                continue
            yield (  # as _STAGING_COLUMNS
                model.pk,
                name,
                email,
                phone,
                address,
                city,
                postal,
                country,
                serial,
                purchased_on,
                hashlib.sha256(key_text.encode()).hexdigest(),
                email_key(email) if email else "",
                not serial,
            )

    @staticmethod
    def _country(raw: str) -> str | None:
        try:
            return country_require(country=raw)
        except ApplicationError:
            return None

    def _model_or_country(self, model: ProductModel | None, model_raw: str, country_raw: str) -> str:
        if model is None:
            return f"model_number {model_raw.strip()[:40]!r} is not a model of recall {self.recall.code}"
        return f"country {country_raw.strip()[:40]!r} is not an ISO 3166-1 alpha-2 country code"

    @staticmethod
    def _too_long(*values: str) -> str:
        for (field, limit), value in zip(_MAX_LENGTHS.items(), values, strict=False):
            if len(value) > limit:
                return f"{field} is longer than {limit} characters"
        raise AssertionError("no value is too long")


def _owner_import_tables() -> dict[str, str]:
    return {
        "staging": _STAGING,
        "owner": KnownOwner._meta.db_table,
        "serial": RecalledSerial._meta.db_table,
        "batch": RecalledBatch._meta.db_table,
        "market": BatchMarket._meta.db_table,
        "recall": Recall._meta.db_table,
    }


def _cover_listed_owners(cursor: Any, models: Iterable[ProductModel]) -> None:
    """Mark the staged owners whose serial a batch of an active recall sold in their country lists."""
    if not RecalledSerial.objects.filter(model__in=list(models)).exists():
        return
    tables = _owner_import_tables()
    cursor.execute(
        f"""
        UPDATE {tables["staging"]} SET covered = %s
        WHERE NOT covered AND EXISTS (
            SELECT 1 FROM {tables["serial"]} s
            JOIN {tables["batch"]} b ON b.id = s.batch_id
            JOIN {tables["recall"]} r ON r.id = b.recall_id
            JOIN {tables["market"]} m ON m.batch_id = b.id
            WHERE s.model_id = {tables["staging"]}.model_id AND s.serial = {tables["staging"]}.serial
              AND m.country = {tables["staging"]}.country AND r.active = %s
        )
        """,  # noqa: S608 - table names are the models' own; every value is a parameter
        [True, True],
    )


def _in_covering_range(models: Iterable[ProductModel]) -> tuple[str, list]:
    """The SQL condition that a staged owner's serial is in a range of a batch of an active recall sold
    in their country, and its parameters.

    A serial is in a range when it is the range's prefix followed by ``width`` digits between its start
    and its end, as ``recalls.selectors.batch_covering_serial`` reads it: compared here as text, against
    the range's first and last serial, so that no cast of a serial to a number can fail.
    """
    ranges = SerialRange.objects.filter(batch__model__in=list(models), batch__recall__active=True)
    markets: dict[int, set[str]] = {}
    for batch_id, country in BatchMarket.objects.filter(batch__ranges__in=ranges).values_list(
        "batch_id", "country"
    ):
        markets.setdefault(batch_id, set()).add(country)
    conditions, params = [], []
    for batch_id, model_id, prefix, width, start, end in ranges.values_list(
        "batch_id", "batch__model_id", "prefix", "width", "start", "end"
    ).distinct():
        countries = sorted(markets.get(batch_id, ()))
        # A range's numbers have ``width`` digits: one that starts past them covers nothing.
        if not countries or width < 1 or start >= 10**width:
            continue
        first = f"{prefix}{start:0{width}d}"
        last = f"{prefix}{min(end, 10**width - 1):0{width}d}"
        conditions.append(
            f"(model_id = %s AND country IN ({', '.join(['%s'] * len(countries))}) AND length(serial) = %s"
            " AND serial BETWEEN %s AND %s AND substr(serial, 1, %s) = %s"
            " AND ltrim(substr(serial, %s), '0123456789') = '')"
        )
        params += [model_id, *countries, len(first), first, last, len(prefix), prefix, len(prefix) + 1]
    return " OR ".join(conditions) or "1 = 0", params


def _insert_staged_owners(
    cursor: Any, *, recall: Recall, source: str, covered: bool, ranged: tuple[str, list]
) -> int:
    """The staged owners (covered or not) the recall does not know yet; sorted by key, so the unique
    index grows at its end. The number inserted."""
    tables = _owner_import_tables()
    columns = [name for name, _type in _STAGING_COLUMNS if name != "covered"]
    imported_at = connection.ops.adapt_datetimefield_value(timezone.now())
    in_range, range_params = ranged
    cursor.execute(
        f"INSERT INTO {tables['owner']} (recall_id, source, email_bounced, imported_at, covered, {', '.join(columns)}) "  # noqa: S608
        f"SELECT %s, %s, %s, %s, %s, {', '.join(columns)} FROM {tables['staging']} "
        f"WHERE {'' if covered else 'NOT '}(covered OR {in_range}) ORDER BY row_key "
        "ON CONFLICT (recall_id, row_key) DO NOTHING",
        [recall.pk, source, False, imported_at, covered, *range_params],
    )
    return cursor.rowcount


def owners_import(*, recall: Recall, source: str, lines: Iterable[bytes]) -> OwnersImported:
    """Import the known owners of a contacts file (``lines``: a binary file or its lines) for ``recall``.

    The header must be ``OWNERS_HEADER``. Rows already known for the recall (the same normalised model,
    serial, e-mail, phone, street, postal code, country and name) are skipped, so importing a file again
    imports nothing. Bad lines are reported with their numbers and left out; anything that stops the
    file as a whole (its header, its encoding, malformed CSV) raises ``OwnersImportError`` and leaves
    nothing behind. Streams: memory does not grow with the file.
    """
    if len(source) > _MAX_LENGTHS["source"]:
        raise OwnersImportError(f"The source's name is longer than {_MAX_LENGTHS['source']} characters.")
    models = {model.model_number: model for model in recall.models.all()}
    if not models:
        raise OwnersImportError(f"Recall {recall.code} has no models yet: its batches name them.")
    rows = _OwnerRows(lines, models, recall)
    with transaction.atomic(), staging_table(_STAGING, ", ".join(map(" ".join, _STAGING_COLUMNS))) as cursor:
        staged = staging_load(cursor, _STAGING, [name for name, _type in _STAGING_COLUMNS], rows)
        _cover_listed_owners(cursor, models.values())
        ranged = _in_covering_range(models.values())
        covered = _insert_staged_owners(cursor, recall=recall, source=source, covered=True, ranged=ranged)
        not_covered = _insert_staged_owners(
            cursor, recall=recall, source=source, covered=False, ranged=ranged
        )
    return OwnersImported(
        imported=covered + not_covered,
        skipped_known=staged - covered - not_covered,
        not_covered=not_covered,
        bad_lines=tuple(rows.bad),
        bad_line_count=rows.bad_count,
    )


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

_REACHABLE: dict[str, str] = {
    Channel.EMAIL: "(o.email <> '' AND NOT o.email_bounced)",
    Channel.SMS: "o.phone <> ''",
    Channel.LETTER: "(o.address_line1 <> '' AND o.postal_code <> '')",
    Channel.CALL: "o.phone <> ''",
}


def _fallbacks(channel: str) -> list[Channel]:
    """The wave's channel first, then the others in their order: an owner without an e-mail (or whose
    e-mail bounced) gets the wave by the next channel that reaches them."""
    start = CHANNEL_ORDER.index(Channel(channel))
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
        if wave.campaign.started_at is not None
        and wave.campaign.started_at + datetime.timedelta(days=wave.day) <= now
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
    sent = 0
    markets: dict[int, dict] = {}
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
