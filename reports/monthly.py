"""The CPSC's monthly progress report of a recall, with every figure the programme knows.

Months run in UTC: ``2025-07`` is ``[2025-07-01 00:00Z, 2025-08-01 00:00Z)``. Each figure is given for
the month and to date (everything before the month's end). The report of every recall in scope is
aggregated in a fixed number of queries, however many claims, disposals, incidents or checks there are.

Units corrected
    A unit is corrected when its remedy is issued: a gift card when it is issued, a replacement when it
    ships, a refund when it is paid (``fulfilment.models``). By distribution level: the manufacturer's,
    distributors' and retailers' stock as supervisors enter it per month (``StockCount``); the
    consumers' units are the remedies issued.
Consumers notified
    Owners reached by the recall notices per channel (``outreach``), each owner once per channel.
Consumers who contacted the programme
    Claims by channel (web form, API; claims made before the channel was kept are "not recorded"),
    status-link requests by channel (one per recall of the address's claims) and incidents reported.
Incidents and injuries
    Incidents reported (by ``created_at``), before and after the recall's announcement by the day they
    occurred (``occurred_on`` before ``announced_on`` is "before").
Serial checks
    Checks that found a unit recalled under this recall, and checks of its models in its markets that
    no recall covered (``SerialCheckTally``, by day in UTC).
Disposals
    Units a certified centre confirmed it took back.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum

from claims.models import Channel, Claim
from core.errors import ApplicationError
from disposal.models import DisposalConfirmation
from fulfilment.models import GiftCard, Refund, Replacement
from incidents.models import Incident
from outreach.models import CHANNEL_ORDER
from outreach.selectors import notices_by_recall_and_channel
from recalls.models import MarketRule, Recall

from .models import DistributionLevel, SerialCheckTally, StatusLinkRequest, StockCount
from .selectors import _units_per_recall, _unknown_recall

MONTH = re.compile(r"(\d{4})-(\d{2})")
NOT_RECORDED = "not_recorded"
CONTACT_CHANNELS = [Channel.WEB.value, Channel.API.value]
REMEDIES = ["replacement", "gift_card", "refund"]

# What the CPSC's form asks for and the programme has no source for: said so in the report.
UNKNOWN_TO_THE_PROGRAMME = [
    "Deaths (incident reports do not record them)",
    "Consumers who contacted the company by phone, e-mail, mail or registration card outside the programme",
    "Whether the recall is on the firm's home page, and its website hits",
    "Recalled units found for sale online",
]


def month_parse(text: str) -> datetime.date:
    """``YYYY-MM`` as the month's first day; ``ApplicationError`` (``invalid_month``) otherwise."""
    found = MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1900:
        raise ApplicationError("invalid_month", f"{text!r} is not a month: give it as YYYY-MM, e.g. 2025-07.")
    return datetime.date(int(found[1]), int(found[2]), 1)


def next_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def _pair(month: int = 0, to_date: int = 0) -> list[int]:
    return [month or 0, to_date or 0]


def monthly_recalls(*, recall_code: str | None) -> list[Recall]:
    """The recalls in scope, by code; ``not_found`` for an unknown code. One query."""
    recalls = Recall.objects.order_by("code")
    if recall_code is not None:
        recalls = recalls.filter(code=recall_code)
    found = list(recalls)
    if recall_code is not None and not found:
        raise _unknown_recall(recall_code)
    return found


def monthly_figures(*, recalls: list[Recall], month: datetime.date) -> dict[int, dict[str, Any]]:
    """Per recall (by pk), the report's figures as plain JSON-able values. A fixed number of queries."""
    if not recalls:
        return {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Scans of a million claims: compiling them (JIT) cost more than it saved, about a third.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _figures(recalls, month)


def _figures(recalls: list[Recall], month: datetime.date) -> dict[int, dict[str, Any]]:
    ids = [recall.pk for recall in recalls]
    since, until = _start(month), _start(next_month(month))
    last_day = next_month(month) - datetime.timedelta(days=1)
    in_month = {"gte": since, "lt": until}

    models: dict[int, list[tuple[int, str]]] = defaultdict(list)
    through = Recall.models.through.objects.filter(recall_id__in=ids).order_by("productmodel__model_number")
    for recall_id, model_id, number in through.values_list(
        "recall_id", "productmodel_id", "productmodel__model_number"
    ):
        models[recall_id].append((model_id, number))
    markets: dict[int, list[str]] = defaultdict(list)
    for recall_id, country in (
        MarketRule.objects.filter(recall_id__in=ids).order_by("country").values_list("recall_id", "country")
    ):
        markets[recall_id].append(country)
    units = _units_per_recall(None) if len(ids) > 1 else _units_per_recall(recalls[0].code)

    def period_counts(queryset, recall_field: str, time_field: str, *group: str):
        return (
            queryset.filter(**{f"{recall_field}__in": ids, f"{time_field}__lt": until})
            .order_by()
            .values(recall_field, *group)
            .annotate(
                month=Count("pk", filter=Q(**{f"{time_field}__gte": in_month["gte"]})),
                to_date=Count("pk"),
            )
        )

    corrected: dict[int, dict[str, list[int]]] = defaultdict(dict)
    disposals: dict[int, list[int]] = {}
    for recall_id, kind, in_period, to_date in _corrections_and_disposals(ids, since, until):
        if kind == "disposal":
            disposals[recall_id] = _pair(in_period, to_date)
        else:
            corrected[recall_id][kind] = _pair(in_period, to_date)

    stock: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    counts = StockCount.objects.filter(recall_id__in=ids, month__lte=month).order_by()
    for recall_id, level, held, corrected_in_month, counted_month in counts.values_list(
        "recall_id", "level", "units_held", "units_corrected", "month"
    ):
        entry = stock[recall_id].setdefault(level, {"held": None, "month": 0, "to_date": 0, "entered": False})
        entry["to_date"] += corrected_in_month
        if counted_month == month:
            entry.update(held=held, month=corrected_in_month, entered=True)

    notices = notices_by_recall_and_channel(recall_ids=ids, since=since, until=until)

    claims: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for row in period_counts(Claim.objects.all(), "recall_id", "created_at", "channel"):
        claims[row["recall_id"]][row["channel"] or NOT_RECORDED] = _pair(row["month"], row["to_date"])
    links: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for row in period_counts(StatusLinkRequest.objects.all(), "recall_id", "requested_at", "channel"):
        links[row["recall_id"]][row["channel"] or NOT_RECORDED] = _pair(row["month"], row["to_date"])

    incidents: dict[int, dict[str, dict[str, list[int]]]] = defaultdict(lambda: defaultdict(dict))
    recent = Q(created_at__gte=since)
    rows = (
        Incident.objects.filter(recall_id__in=ids, created_at__lt=until)
        .annotate(
            before=ExpressionWrapper(
                Q(occurred_on__lt=F("recall__announced_on")), output_field=BooleanField()
            )
        )
        .order_by()
        .values("recall_id", "channel", "before")
        .annotate(
            month=Count("pk", filter=recent),
            to_date=Count("pk"),
            injuries_month=Count("pk", filter=recent & Q(injury=True)),
            injuries_to_date=Count("pk", filter=Q(injury=True)),
        )
    )
    for row in rows:
        by = incidents[row["recall_id"]]
        when = "before" if row["before"] else "after"
        for name, month_key, total_key in (
            ("incidents", "month", "to_date"),
            ("injuries", "injuries_month", "injuries_to_date"),
        ):
            pair = by[when].setdefault(name, [0, 0])
            pair[0] += row[month_key]
            pair[1] += row[total_key]
        channel = by["channel"].setdefault(row["channel"] or NOT_RECORDED, [0, 0])
        channel[0] += row["month"]
        channel[1] += row["to_date"]

    codes = {recall.code: recall.pk for recall in recalls}
    model_ids = {model_id for found in models.values() for model_id, _number in found}
    checks: dict[tuple[str, int, str], list[int]] = {}
    tallies = (
        SerialCheckTally.objects.filter(day__lte=last_day)
        .filter(Q(recall_code__in=codes) | Q(recall_code="", model_id__in=model_ids))
        .order_by()
        .values("recall_code", "model_id", "country")
        .annotate(month=Sum("checks", filter=Q(day__gte=month)), to_date=Sum("checks"))
    )
    for row in tallies:
        checks[row["recall_code"], row["model_id"], row["country"]] = _pair(row["month"], row["to_date"])

    figures = {}
    for recall in recalls:
        pk = recall.pk
        by_remedy = {remedy: corrected[pk].get(remedy, [0, 0]) for remedy in REMEDIES}
        consumers = [sum(p[0] for p in by_remedy.values()), sum(p[1] for p in by_remedy.values())]
        levels = []
        for level in DistributionLevel:
            entry = stock[pk].get(level.value, {"held": None, "month": 0, "to_date": 0, "entered": False})
            levels.append(
                {
                    "level": level.value,
                    "label": level.label,
                    "held": entry["held"],
                    "entered": entry["entered"],
                    "corrected": [entry["month"], entry["to_date"]],
                }
            )
        levels.append(
            {"level": "consumer", "label": "Consumers", "held": None, "entered": True, "corrected": consumers}
        )
        own_models = models[pk]
        recalled_checks, unrecalled_checks = [0, 0], [0, 0]
        for (code, model_id, country), pair in checks.items():
            if code == recall.code:
                target = recalled_checks
            elif not code and country in markets[pk] and any(m == model_id for m, _n in own_models):
                target = unrecalled_checks
            else:
                continue
            target[0] += pair[0]
            target[1] += pair[1]
        notified = {ch.value: list(notices.get((pk, ch.value), (0, 0))) for ch in CHANNEL_ORDER}
        by_incident = incidents[pk]
        figures[pk] = {
            "recall": recall.code,
            "title": recall.title,
            "hazard": recall.hazard,
            "models": [number for _id, number in own_models],
            "markets": markets[pk],
            "announced_on": recall.announced_on.isoformat(),
            "month": f"{month:%Y-%m}",
            "period_start": month.isoformat(),
            "period_end": last_day.isoformat(),
            "units_affected": units.get(pk, 0),
            "corrected_by_remedy": {**by_remedy, "total": consumers},
            "distribution": levels,
            "notified": notified,
            "notices_sent": any(pair[1] for pair in notified.values()),
            "contacts": {
                "claims": _channels(claims[pk]),
                "status_links": _channels(links[pk]),
                "incidents": _channels(by_incident["channel"]),
            },
            "incidents": {
                when: {
                    "incidents": by_incident[when].get("incidents", [0, 0]),
                    "injuries": by_incident[when].get("injuries", [0, 0]),
                }
                for when in ("before", "after")
            },
            "serial_checks": {"recalled": recalled_checks, "not_recalled": unrecalled_checks},
            "disposals": disposals.get(pk, [0, 0]),
            "unknown_to_the_programme": UNKNOWN_TO_THE_PROGRAMME,
        }
    return figures


def _corrections_and_disposals(
    ids: list[int], since: datetime.datetime, until: datetime.datetime
) -> list[tuple[int, str, int, int]]:
    """Per recall: remedies issued by kind and disposals confirmed, in ``[since, until)`` and before
    ``until``. The four one-per-claim tables are stacked and joined to the claims once: one scan of the
    claims, not one per table (``reports`` tests pin the figures, ``bench/report.py`` the time)."""
    stacked = " UNION ALL ".join(
        f"SELECT claim_id, '{kind}' AS kind, {column} AS at FROM {model._meta.db_table} WHERE {column} < %s"  # noqa: S608 - our names
        for kind, model, column in (
            ("replacement", Replacement, "shipped_at"),
            ("gift_card", GiftCard, "issued_at"),
            ("refund", Refund, "paid_at"),
            ("disposal", DisposalConfirmation, "created_at"),
        )
    )
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        "SELECT c.recall_id, u.kind, SUM(CASE WHEN u.at >= %s THEN 1 ELSE 0 END), COUNT(*) "  # noqa: S608
        f"FROM ({stacked}) u JOIN {Claim._meta.db_table} c ON c.id = u.claim_id "
        f"WHERE c.recall_id IN ({placeholders}) GROUP BY c.recall_id, u.kind"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(since), *[adapt(until)] * 4, *ids])
        return [(recall_id, kind, int(n or 0), int(total)) for recall_id, kind, n, total in cursor.fetchall()]


def _channels(found: dict[str, list[int]]) -> dict[str, list[int]]:
    return {channel: found.get(channel, [0, 0]) for channel in [*CONTACT_CHANNELS, NOT_RECORDED]}
