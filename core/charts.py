"""Charts drawn on the server as inline SVG: the staff site's CSP allows no script, and a chart that is
markup prints, zooms and reads without one. The axis and palette are shared by every chart (the recall
report's line chart, the campaigns' bar charts); ``core/bar_chart.html`` draws a ``BarChart``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


def axis_max(peak: Decimal, *, at_least: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 times a power of ten at or above ``peak``, at least ``at_least``."""
    top = at_least
    while True:
        for step in (1, 2, 5):
            if top * step >= peak:
                return top * step
        top *= 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    color: str
    title: str  # what a pointer over the bar reads: "Wave 1 (E-mail): opened 12"

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class BarGroup:
    label: str
    center: float
    bars: list[Bar]


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_ticks: list[Tick]
    groups: list[BarGroup]
    legend: list[LegendEntry]
    show_values: bool  # the count above each bar, where the bars are wide enough to carry it

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def bar_chart(
    groups: list[tuple[str, list[int]]], *, series: list[str], width: int = 760, height: int = 300
) -> BarChart:
    """Counts side by side: one group of bars per ``(label, counts)``, one bar per series in each, on
    an axis from zero to a round number (whole numbers only: these are counts)."""
    left, right, top, bottom = 60, width - 20, 20, height - 50
    peak = max((value for _label, values in groups for value in values), default=0)
    y_max = int(axis_max(Decimal(peak), at_least=Decimal(1)))
    steps = y_max if y_max < 5 else 5

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / y_max, 1)

    y_ticks = [Tick(y(y_max * i // steps), f"{y_max * i // steps:,}") for i in range(steps + 1)]
    slot = (right - left) / max(len(groups), 1)
    bar_width = min(28.0, slot * 0.8 / max(len(series), 1))
    drawn = []
    for index, (label, values) in enumerate(groups):
        center = left + slot * (index + 0.5)
        start = center - bar_width * len(series) / 2
        bars = [
            Bar(
                x=round(start + bar_width * n, 1),
                y=y(value),
                width=round(bar_width - 1, 1),
                height=round(bottom - y(value), 1),
                value=value,
                color=PALETTE[n % len(PALETTE)],
                title=f"{label}: {name.lower()} {value:,}",
            )
            for n, (name, value) in enumerate(zip(series, values, strict=True))
        ]
        drawn.append(BarGroup(label=label, center=round(center, 1), bars=bars))
    legend = [LegendEntry(name, PALETTE[n % len(PALETTE)]) for n, name in enumerate(series)]
    return BarChart(
        width, height, left, right, top, bottom, y_ticks, drawn, legend, show_values=bar_width >= 16
    )
