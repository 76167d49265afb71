"""What the recall notices achieved: the funnel of a campaign, per wave and channel, and the owners
notified per channel, counted by the database.

The stages, each a part of the one before it:

notified
    Notices sent, those that bounced included: the owner was told, as far as the programme knows.
delivered
    Sent and not bounced. A provider's delivery receipt records when (``delivered_at``); a notice
    without one (a letter, a call, a provider that sends none) counts as delivered until it bounces.
opened, checked
    The owner followed the notice's link (``opened_at``), then checked the serial (``checked_at``).
claimed, remedied, disposed
    A claim was made from the notice's link (``claim``); it is ``fulfilled``; a centre confirmed the
    unit (the claim's ``disposal_confirmed_at``).

A row of one wave and channel counts notices, which are owners too (one notice per owner per wave). A
total counts **each owner once**, however many waves reached them: an owner told by e-mail and again
by SMS is one consumer notified.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Q, Value
from django.db.models.functions import Coalesce

from claims.models import ClaimStatus
from recalls.models import Recall

from .models import CHANNEL_ORDER, Campaign, Channel, Notice, Wave

NOTIFIED_STATUSES = (Notice.Status.SENT, Notice.Status.BOUNCED)
# The funnel's stages, in order (``planned`` comes before them: notices written, sent or not).
STAGES = ["notified", "delivered", "opened", "checked", "claimed", "remedied", "disposed"]
# The stages the report and the charts give (delivered only tells the table's reader about bounces).
FUNNEL = ["notified", "opened", "checked", "claimed", "remedied", "disposed"]
_FIGURES = ["planned", *STAGES]
STAGE_LABELS = {
    "planned": "Planned",
    "notified": "Notified",
    "delivered": "Delivered",
    "opened": "Opened",
    "checked": "Checked",
    "claimed": "Claimed",
    "remedied": "Remedied",
    "disposed": "Disposed",
}


@dataclass(frozen=True)
class FunnelRow:
    """One wave's notices on one channel, or the campaign's total (``wave`` None: each owner once).

    ``channel`` is the channel the notices went by; it differs from ``wave_channel`` for owners the
    wave's own channel could not reach. A wave with no notices yet has one row of zeros.
    """

    wave: int | None
    day: int | None
    wave_channel: str
    channel: str
    planned: int = 0
    notified: int = 0
    delivered: int = 0
    opened: int = 0
    checked: int = 0
    claimed: int = 0
    remedied: int = 0
    disposed: int = 0

    @property
    def is_total(self) -> bool:
        return self.wave is None

    @property
    def is_fallback(self) -> bool:
        return bool(self.channel) and self.channel != self.wave_channel

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label if self.channel else ""

    def figures(self) -> list[int]:
        return [getattr(self, name) for name in _FIGURES]


def _counts(prefix: str = "", *, each_owner_once: bool = False) -> dict[str, Count]:
    """The conditional counts of the funnel over notices reached by ``prefix`` (``"notices__"`` from a
    wave). Each owner once for totals; per wave, notices and owners are the same thing."""
    counted = f"{prefix}owner" if each_owner_once else f"{prefix}id"

    def count(condition: Q | None = None) -> Count:
        return Count(counted, filter=condition, distinct=each_owner_once)

    def q(**lookups) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    return {
        "planned": count(),
        "notified": count(q(status__in=NOTIFIED_STATUSES)),
        "delivered": count(q(status=Notice.Status.SENT)),
        "opened": count(q(opened_at__isnull=False)),
        "checked": count(q(checked_at__isnull=False)),
        "claimed": count(q(claim__isnull=False)),
        "remedied": count(q(claim__status=ClaimStatus.FULFILLED)),
        "disposed": count(q(claim__disposal_confirmed_at__isnull=False)),
    }


def _channel_rank(row: FunnelRow) -> tuple[int, int]:
    # The wave's own channel first, then the fallbacks in their order.
    return (row.channel != row.wave_channel, CHANNEL_ORDER.index(Channel(row.channel or row.wave_channel)))


def campaign_funnel(*, campaign: Campaign) -> list[FunnelRow]:
    """Per wave (by number) and channel, then the total (each owner once). One query, whatever the
    number of waves, channels and notices: the rows and the total in one ``UNION ALL``."""
    per_wave = (
        Wave.objects.filter(campaign=campaign)
        .annotate(
            wave_number=F("number"),
            wave_day=F("day"),
            own_channel=F("channel"),
            sent_by=Coalesce(F("notices__channel"), F("channel")),
        )
        .values("wave_number", "wave_day", "own_channel", "sent_by")
        .annotate(**_counts("notices__"))
        .values_list("wave_number", "wave_day", "own_channel", "sent_by", *_FIGURES)
        .order_by()
    )
    total = (
        Notice.objects.filter(wave__campaign=campaign)
        .annotate(
            wave_number=Value(None, output_field=IntegerField()),
            wave_day=Value(None, output_field=IntegerField()),
            own_channel=Value(""),
            sent_by=Value(""),
        )
        .values("wave_number", "wave_day", "own_channel", "sent_by")
        .annotate(**_counts(each_owner_once=True))
        .values_list("wave_number", "wave_day", "own_channel", "sent_by", *_FIGURES)
        .order_by()
    )
    rows = [FunnelRow(*values) for values in per_wave.union(total, all=True)]
    # An aggregate without GROUP BY gives its one row even over no notices: the total is always there.
    [total_row] = [row for row in rows if row.is_total]
    waves = sorted((row for row in rows if not row.is_total), key=lambda r: (r.wave, *_channel_rank(r)))
    return [*waves, total_row]


@dataclass(frozen=True)
class MarketFunnel:
    """A campaign's total: its recall and market, each owner once."""

    recall_id: int
    country: str
    funnel: FunnelRow


def funnels_by_market(*, recall_code: str | None = None) -> list[MarketFunnel]:
    """The total of every campaign (of one recall, by code), each owner once: one query for all."""
    notices = Notice.objects.all()
    if recall_code is not None:
        notices = notices.filter(wave__campaign__recall__code=recall_code)
    found = (
        notices.order_by()
        .values("wave__campaign__recall_id", "wave__campaign__country")
        .annotate(**_counts(each_owner_once=True))
        .values_list("wave__campaign__recall_id", "wave__campaign__country", *_FIGURES)
    )
    return [
        MarketFunnel(recall_id=recall_id, country=country, funnel=FunnelRow(None, None, "", "", *figures))
        for recall_id, country, *figures in found
    ]


def notices_by_channel(
    *,
    recall: Recall | None = None,
    country: str | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> dict[str, int]:
    """Owners notified per channel (each channel in ``CHANNEL_ORDER``, zero included) by notices sent
    in ``[since, until)``, of one recall or market if given: an owner told twice by e-mail counts once
    for e-mail; one told by e-mail and by SMS counts for both. One query."""
    notices = Notice.objects.filter(status__in=NOTIFIED_STATUSES)
    if recall is not None:
        notices = notices.filter(wave__campaign__recall=recall)
    if country is not None:
        notices = notices.filter(wave__campaign__country=country.upper())
    if since is not None:
        notices = notices.filter(sent_at__gte=since)
    if until is not None:
        notices = notices.filter(sent_at__lt=until)
    found = dict(
        notices.order_by()
        .values("channel")
        .annotate(owners=Count("owner", distinct=True))
        .values_list("channel", "owners")
    )
    return {channel.value: found.get(channel.value, 0) for channel in CHANNEL_ORDER}


def notified_so_far() -> Count:
    """For a queryset of campaigns: the owners their notices reached so far, each once."""
    return Count(
        "waves__notices__owner", distinct=True, filter=Q(waves__notices__status__in=NOTIFIED_STATUSES)
    )


def notices_by_recall_and_channel(
    *, recall_ids: Collection[int], since: datetime.datetime, until: datetime.datetime
) -> dict[tuple[int, str], tuple[int, int]]:
    """Per recall and channel: owners notified in ``[since, until)`` and before ``until`` (to date),
    counted as ``notices_by_channel`` does (each owner once per channel). One query."""
    rows = (
        Notice.objects.filter(
            status__in=NOTIFIED_STATUSES, wave__campaign__recall_id__in=recall_ids, sent_at__lt=until
        )
        .order_by()
        .values("wave__campaign__recall_id", "channel")
        .annotate(
            in_period=Count("owner", distinct=True, filter=Q(sent_at__gte=since)),
            to_date=Count("owner", distinct=True),
        )
        .values_list("wave__campaign__recall_id", "channel", "in_period", "to_date")
    )
    return {(recall_id, channel): (period, total) for recall_id, channel, period, total in rows}
