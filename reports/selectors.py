"""The programme's figures for regulators: per recall and market, and the correction rate over time.

Every figure is aggregated by the database in a fixed number of queries, whatever the number of
recalls, batches, serials or claims: no query runs per recall, market or row.

Units affected
    A batch's units are the units of its serial ranges (``end - start + 1`` each) plus the serials
    listed explicitly (``RecalledBatch.listed_serials``, kept by the import). A market's units are the
    units of the recall's batches sold there (``BatchMarket``): **a batch sold in two markets counts in
    both**, since each market's authority is owed the whole batch, so market rows can add up to more than
    the recall's ``TOTAL`` row, where each batch counts once.

Recall notices
    A market's campaign funnel (``outreach.selectors``): known owners notified, who opened the notice,
    checked their serial, claimed from it, whose claim was remedied, whose unit was handed in; each
    owner once, however many waves reached them.

Rates
    ``correction_rate`` = remedies issued / units affected and ``disposal_rate`` = disposals confirmed /
    units affected, as exact ``Decimal`` fractions. They are ``None`` where no units are affected (a
    market with claims but no batch sold there): a rate over zero units is undefined, and reporting 0 %
    would hide the gap in the batch data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    Expression,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from claims.models import Claim, ClaimEvent, ClaimStatus
from core.errors import ApplicationError, NotFound
from incidents.models import Incident
from outreach.selectors import FUNNEL, funnels_by_market
from recalls.models import BatchMarket, MarketRule, Recall, RecalledBatch, SerialRange

TOTAL = "TOTAL"

# Claims approved and still going on to a remedy. A claim approved and then cancelled by its customer,
# or sent back to review, is counted where it is now, not here.
APPROVED_STATUSES = (
    ClaimStatus.APPROVED,
    ClaimStatus.AWAITING_DISPOSAL,
    ClaimStatus.FULFILLING,
    ClaimStatus.FULFILLED,
)


def _rate(part: int, units: int) -> Decimal | None:
    return Decimal(part) / Decimal(units) if units else None


@dataclass(frozen=True)
class ReportRow:
    """One recall in one market (``market`` is a country code), or the recall's ``TOTAL``."""

    recall: str
    market: str
    units_affected: int
    claims: int = 0
    approved: int = 0
    remedies_issued: int = 0
    disposals_confirmed: int = 0
    # The market's recall notices (its campaign's funnel, each owner once).
    campaign_notified: int = 0
    campaign_opened: int = 0
    campaign_checked: int = 0
    campaign_claimed: int = 0
    campaign_remedied: int = 0
    campaign_disposed: int = 0
    # Incidents reported, by when they occurred: before the recall's announcement or on and after it.
    incidents_before: int = 0
    incidents_after: int = 0
    injuries_before: int = 0
    injuries_after: int = 0

    @property
    def is_total(self) -> bool:
        return self.market == TOTAL

    @property
    def correction_rate(self) -> Decimal | None:
        return _rate(self.remedies_issued, self.units_affected)

    @property
    def disposal_rate(self) -> Decimal | None:
        return _rate(self.disposals_confirmed, self.units_affected)


INCIDENT_COUNTS = ["incidents_before", "incidents_after", "injuries_before", "injuries_after"]

# The figures a recall's TOTAL adds up from its markets (units affected count each batch once instead).
_ADDED_UP = [
    "claims",
    "approved",
    "remedies_issued",
    "disposals_confirmed",
    *(f"campaign_{stage}" for stage in FUNNEL),
    *INCIDENT_COUNTS,
]


@dataclass(frozen=True)
class MonthPoint:
    month: datetime.date  # the first day of the month
    remedies_issued: int  # cumulative, up to the end of the month
    correction_rate: Decimal | None


@dataclass(frozen=True)
class RecallSeries:
    recall: str
    units_affected: int
    points: list[MonthPoint] = field(default_factory=list)


# --- Shared pieces --------------------------------------------------------------------------------


def _unknown_recall(recall_code: str) -> ApplicationError:
    known = ", ".join(Recall.objects.order_by("code").values_list("code", flat=True)) or "none"
    return NotFound("not_found", f"No recall with code {recall_code!r}. Known recalls: {known}.")


def recall_report_recalls(*, recall_code: str | None = None) -> list[Recall]:
    """The recalls a report covers, by code, with their models and market rules (three queries).

    Raises ``ApplicationError`` (``not_found``) for an unknown code.
    """
    recalls = Recall.objects.order_by("code").prefetch_related(
        "models",
        Prefetch("market_rules", queryset=MarketRule.objects.select_related("replacement_model")),
    )
    if recall_code is not None:
        recalls = recalls.filter(code=recall_code)
    found = list(recalls)
    if recall_code is not None and not found:
        raise _unknown_recall(recall_code)
    return found


def _batch_units(batch_pk: str, listed_serials: str) -> Expression:
    """A batch's units: its ranges' units (one correlated subquery) plus its listed serials."""
    ranged = (
        SerialRange.objects.filter(batch=OuterRef(batch_pk))
        .order_by()
        .values("batch")
        .annotate(range_units=Sum(F("end") - F("start") + 1))
        .values("range_units")
    )
    return ExpressionWrapper(
        Coalesce(Subquery(ranged), 0) + F(listed_serials), output_field=BigIntegerField()
    )


@dataclass(frozen=True)
class _RecallKey:
    code: str
    announced_on: datetime.date


def _recalls_in_scope(recall_code: str | None) -> dict[int, _RecallKey]:
    recalls = Recall.objects.order_by("code")
    if recall_code is not None:
        recalls = recalls.filter(code=recall_code)
    found = {
        pk: _RecallKey(code, announced_on)
        for pk, code, announced_on in recalls.values_list("pk", "code", "announced_on")
    }
    if recall_code is not None and not found:
        raise _unknown_recall(recall_code)
    return found


def _in_scope(queryset: QuerySet, recall_field: str, recall_code: str | None) -> QuerySet:
    if recall_code is None:
        return queryset
    return queryset.filter(**{f"{recall_field}__code": recall_code})


def _units_per_recall(recall_code: str | None) -> dict[int, int]:
    """Each batch once."""
    batches = _in_scope(RecalledBatch.objects.all(), "recall", recall_code)
    totals = (
        batches.order_by()
        .values("recall_id")
        .annotate(units=Sum(_batch_units("pk", "listed_serials")))
        .values_list("recall_id", "units")
    )
    return {recall_id: units or 0 for recall_id, units in totals}


# --- The report -----------------------------------------------------------------------------------


def recall_report_rows(*, recall_code: str | None = None) -> list[ReportRow]:
    """Per recall (by code) its markets (by country), then its ``TOTAL`` row.

    A recall's markets are the countries of its market rules, of its batches' markets and of its
    claims. Figures per market:

    - ``units_affected``: units of the recall's batches sold in that market. A batch sold in two
      markets counts in both; in the ``TOTAL`` row each batch counts once.
    - ``claims``: every claim of that recall and country, whatever its status.
    - ``approved``: claims approved and on their way to a remedy or given one (statuses
      ``approved``, ``awaiting_disposal``, ``fulfilling``, ``fulfilled``).
    - ``remedies_issued``: claims ``fulfilled`` (gift card issued, replacement shipped, refund paid).
    - ``disposals_confirmed``: disposal confirmations of those claims, whatever the claim's status
      (a unit handed in is off the market even if its claim was later cancelled).
    - ``campaign_*``: the funnel of the market's recall notices, each known owner once (notified,
      opened, checked, claimed, remedied, disposed: ``outreach.selectors``); a market's owners are its
      own, so the ``TOTAL`` row adds them up.

    - ``incidents_*``, ``injuries_*``: incidents reported in that country (and those with someone
      hurt), before the recall's announcement and on or after it, by the day they occurred.

    Runs seven queries, however many recalls, batches and claims there are. Raises
    ``ApplicationError`` (``not_found``) for an unknown recall code.
    """
    recalls = _recalls_in_scope(recall_code)
    markets: dict[int, set[str]] = defaultdict(set)
    rules = _in_scope(MarketRule.objects.all(), "recall", recall_code)
    for recall_id, country in rules.order_by().values_list("recall_id", "country"):
        markets[recall_id].add(country)

    market_units = (
        _in_scope(BatchMarket.objects.all(), "batch__recall", recall_code)
        .order_by()
        .values("batch__recall_id", "country")
        .annotate(units=Sum(_batch_units("batch_id", "batch__listed_serials")))
        .values_list("batch__recall_id", "country", "units")
    )
    units: dict[tuple[int, str], int] = {}
    for recall_id, country, total in market_units:
        units[recall_id, country] = total or 0
        markets[recall_id].add(country)

    claim_counts = (
        _in_scope(Claim.objects.all(), "recall", recall_code)
        .order_by()
        .values("recall_id", "country")
        .annotate(
            claims=Count("pk"),
            approved=Count("pk", filter=Q(status__in=APPROVED_STATUSES)),
            remedies_issued=Count("pk", filter=Q(status=ClaimStatus.FULFILLED)),
            disposals_confirmed=Count("disposal"),
        )
    )
    counts: dict[tuple[int, str], dict[str, int]] = {}
    for row in claim_counts:
        recall_id, country = row.pop("recall_id"), row.pop("country")
        counts[recall_id, country] = row
        markets[recall_id].add(country)

    for market in funnels_by_market(recall_code=recall_code):
        funnel = market.funnel
        counts.setdefault((market.recall_id, market.country), {}).update(
            {f"campaign_{stage}": getattr(funnel, stage) for stage in FUNNEL}
        )
        markets[market.recall_id].add(market.country)

    before = Q(occurred_on__lt=F("recall__announced_on"))
    incident_counts = (
        _in_scope(Incident.objects.filter(recall__isnull=False), "recall", recall_code)
        .order_by()
        .values("recall_id", "country")
        .annotate(
            incidents_before=Count("pk", filter=before),
            incidents_after=Count("pk", filter=~before),
            injuries_before=Count("pk", filter=before & Q(injury=True)),
            injuries_after=Count("pk", filter=~before & Q(injury=True)),
        )
    )
    for row in incident_counts:
        recall_id, country = row.pop("recall_id"), row.pop("country")
        counts.setdefault((recall_id, country), {}).update(row)
        markets[recall_id].add(country)

    recall_units = _units_per_recall(recall_code)
    rows: list[ReportRow] = []
    for recall_id, recall in recalls.items():
        market_rows = [
            ReportRow(
                recall=recall.code,
                market=country,
                units_affected=units.get((recall_id, country), 0),
                **counts.get((recall_id, country), {}),
            )
            for country in sorted(markets[recall_id])
        ]
        rows.extend(market_rows)
        rows.append(
            ReportRow(
                recall=recall.code,
                market=TOTAL,
                units_affected=recall_units.get(recall_id, 0),
                **{name: sum(getattr(r, name) for r in market_rows) for name in _ADDED_UP},
            )
        )
    return rows


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(month: datetime.date) -> datetime.date:
    return (
        month.replace(year=month.year + 1, month=1)
        if month.month == 12
        else month.replace(month=month.month + 1)
    )


def correction_rate_by_month(
    *, recall_code: str | None = None, until: datetime.date | None = None
) -> list[RecallSeries]:
    """Per recall (by code), the cumulative correction rate at the end of each month.

    A remedy counts in the month its claim became ``fulfilled`` (the ``ClaimEvent`` of that change,
    months in the project's time zone); the rate divides the running total by the recall's units
    affected (each batch once). Months run without gaps from the recall's announcement (or its first
    remedy, if earlier) to ``until``'s month (default: this month); remedies after that month are left
    out, so a past month's report can be drawn again. Runs three queries.
    """
    recalls = _recalls_in_scope(recall_code)
    fulfilled = (
        _in_scope(ClaimEvent.objects.all(), "claim__recall", recall_code)
        .filter(new_status=ClaimStatus.FULFILLED)
        .annotate(month=TruncMonth("created_at", output_field=DateField()))
        .order_by()
        .values("claim__recall_id", "month")
        .annotate(remedies=Count("claim_id", distinct=True))
        .values_list("claim__recall_id", "month", "remedies")
    )
    per_month: dict[int, dict[datetime.date, int]] = defaultdict(dict)
    for recall_id, month, remedies in fulfilled:
        per_month[recall_id][month] = remedies
    recall_units = _units_per_recall(recall_code)
    last = _month(until or timezone.localdate())

    series = []
    for recall_id, recall in recalls.items():
        months = {m: n for m, n in per_month[recall_id].items() if m <= last}
        month = min([_month(recall.announced_on), *months])
        units = recall_units.get(recall_id, 0)
        running, points = 0, []
        while month <= last:
            running += months.get(month, 0)
            points.append(
                MonthPoint(month=month, remedies_issued=running, correction_rate=_rate(running, units))
            )
            month = _next_month(month)
        series.append(RecallSeries(recall=recall.code, units_affected=units, points=points))
    return series
