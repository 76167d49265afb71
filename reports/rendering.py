"""How the report is shown: the aligned tables, the CSV, the remedies on offer and the SVG charts.

Shared by the ``recall_report`` command and the admin page, so both say the same thing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from core.charts import PALETTE, BarChart, Tick, axis_max, bar_chart
from core.spreadsheets import csv_writer
from outreach.selectors import FUNNEL, STAGE_LABELS
from recalls.models import MarketRule

from .selectors import INCIDENT_COUNTS, RecallSeries, ReportRow

PROGRESS_COLUMNS = [
    "recall",
    "market",
    "units_affected",
    "claims",
    "approved",
    "remedies_issued",
    "disposals_confirmed",
    "correction_rate",
    "disposal_rate",
]
_COUNTS = ["units_affected", "claims", "approved", "remedies_issued", "disposals_confirmed"]
_CAMPAIGN_COUNTS = [f"campaign_{stage}" for stage in FUNNEL]
# The CSV: one row per recall and market with every figure, the recall notices' last.
COLUMNS = [*PROGRESS_COLUMNS, *_CAMPAIGN_COUNTS, *INCIDENT_COUNTS]
# The command's second table: the recall notices per market.
NOTICE_COLUMNS = ["recall", "market", *FUNNEL]


def format_percent(rate: Decimal | None) -> str:
    """For people: 4 decimals of a percent (1 unit in a million is 0.0001%); ``n/a`` without units."""
    return "n/a" if rate is None else f"{rate * 100:.4f}%"


def format_fraction(rate: Decimal | None) -> str:
    """For machines: the fraction itself with 10 decimals (0.0123456789 = 1.23456789%); empty without units."""
    return "" if rate is None else f"{rate:.10f}"


def csv_row(row: ReportRow) -> list[str]:
    return [
        row.recall,
        row.market,
        *(str(getattr(row, name)) for name in _COUNTS),
        format_fraction(row.correction_rate),
        format_fraction(row.disposal_rate),
        *(str(getattr(row, name)) for name in _CAMPAIGN_COUNTS),
        *(str(getattr(row, name)) for name in INCIDENT_COUNTS),
    ]


def csv_write(out: IO[str], rows: Iterable[ReportRow]) -> None:
    writer = csv_writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(csv_row(row) for row in rows)


def table_row(row: ReportRow) -> list[str]:
    return [
        row.recall,
        row.market,
        *(f"{getattr(row, name):,}" for name in _COUNTS),
        format_percent(row.correction_rate),
        format_percent(row.disposal_rate),
    ]


def notice_row(row: ReportRow) -> list[str]:
    return [row.recall, row.market, *(f"{getattr(row, name):,}" for name in _CAMPAIGN_COUNTS)]


def incident_row(row: ReportRow) -> list[str]:
    return [row.recall, row.market, *(f"{getattr(row, name):,}" for name in INCIDENT_COUNTS)]


def table_lines(rows: Iterable[ReportRow]) -> list[str]:
    """The progress per market, then the recall notices per market, each table aligned on its own."""
    rows = list(rows)
    return [
        *_aligned(PROGRESS_COLUMNS, [table_row(row) for row in rows]),
        "",
        "Recall notices (each known owner once):",
        *_aligned(NOTICE_COLUMNS, [notice_row(row) for row in rows]),
        "",
        "Incidents and injuries, before and after the recall's announcement (by the day they occurred):",
        *_aligned(["recall", "market", *INCIDENT_COUNTS], [incident_row(row) for row in rows]),
    ]


def _aligned(columns: list[str], body: list[list[str]]) -> list[str]:
    """Recall and market left-aligned, figures right-aligned, a rule under the header."""
    cells = [columns, *body]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        text = [
            v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(text).rstrip()

    return [line(cells[0]), "  ".join("-" * w for w in widths), *(line(values) for values in cells[1:])]


def offer_description(rule: MarketRule) -> str:
    """What a customer in this market may choose, in words a regulator reads."""
    offers = []
    if rule.offers_replacement:
        if rule.replacement_model is None:
            offers.append("a replacement unit of the same model")
        else:
            offers.append(f"a replacement unit ({rule.replacement_model})")
    if rule.offers_gift_card:
        offers.append(f"a gift card worth {rule.gift_card_amount} {rule.gift_card_currency}")
    if rule.offers_refund:
        offers.append(f"a refund of {rule.refund_amount} {rule.refund_currency}")
    text = offers[0] if len(offers) == 1 else ", ".join(offers[:-1]) + " or " + offers[-1]
    text = text[0].upper() + text[1:]
    if rule.disposal_before_remedy:
        text += "; the remedy is issued once a certified recycling centre has confirmed the unit's disposal"
    return text + "."


# --- The correction-rate chart --------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    points: str  # the polyline's "x,y x,y ..."
    dots: list[tuple[float, float]]
    last_rate: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def correction_chart(series: list[RecallSeries], *, width: int = 760, height: int = 300) -> Chart:
    """Cumulative correction rate (in percent of units affected) per recall, month by month."""
    left, right, top, bottom = 80, width - 40, 20, height - 50
    months: list[datetime.date] = sorted({p.month for s in series for p in s.points})
    peak = max(
        (p.correction_rate * 100 for s in series for p in s.points if p.correction_rate is not None),
        default=Decimal(0),
    )
    y_max = axis_max(peak, at_least=Decimal("0.001"))  # in percent

    def x(month: datetime.date) -> float:
        if len(months) < 2:
            return (left + right) / 2
        return round(left + (right - left) * months.index(month) / (len(months) - 1), 1)

    def y(rate: Decimal) -> float:
        return round(bottom - (bottom - top) * float(rate * 100 / y_max), 1)

    every = max(1, -(-len(months) // 12))  # at most 12 month labels
    x_ticks = [Tick(x(m), m.strftime("%b %Y")) for m in months[::every]]
    y_ticks = []
    for i in range(6):
        percent = y_max * i / 5
        y_ticks.append(Tick(y(percent / 100), f"{percent.normalize():f}%"))
    lines = []
    for index, one in enumerate(series):
        dots = [(x(p.month), y(p.correction_rate)) for p in one.points if p.correction_rate is not None]
        if not dots:
            continue  # no units affected: no rate to draw
        lines.append(
            Line(
                label=one.recall,
                color=PALETTE[index % len(PALETTE)],
                points=" ".join(f"{px},{py}" for px, py in dots),
                dots=dots,
                last_rate=format_percent(one.points[-1].correction_rate),
            )
        )
    return Chart(width, height, left, right, top, bottom, x_ticks, y_ticks, lines)


def notices_chart(rows: Iterable[ReportRow]) -> BarChart | None:
    """One recall's notices: the funnel of each market with a campaign, as bars; None without any."""
    markets = [row for row in rows if not row.is_total and row.campaign_notified]
    if not markets:
        return None
    return bar_chart(
        [(row.market, [getattr(row, name) for name in _CAMPAIGN_COUNTS]) for row in markets],
        series=[STAGE_LABELS[stage] for stage in FUNNEL],
        height=240,
    )
