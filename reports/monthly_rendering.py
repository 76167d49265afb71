"""The monthly progress report as lines under the CPSC's headings, and those lines as CSV and PDF.

Shared by the command and the admin page; a locked month's CSV and PDF are the bytes stored when it
was locked (``services.monthly_report_lock``).
"""

from __future__ import annotations

import io
from typing import Any

from django.template.loader import render_to_string

from core.spreadsheets import csv_writer

CSV_COLUMNS = ["recall", "month", "section", "item", "in_month", "to_date"]

# The CPSC's headings, in the order of its form.
UNITS_CORRECTED = "Units corrected"
BY_LEVEL = "Units corrected by distribution level"
HELD = "Units held by distribution level at the end of the month"
NOTIFIED = "Consumers notified"
CONTACTED = "Consumers who contacted the firm"
INCIDENTS = "Incidents and injuries"
CHECKS = "Serial number checks"
DISPOSALS = "Units disposed of"
UNKNOWN = "Not recorded by the programme"

REMEDY_LABELS = {
    "replacement": "Replacement units shipped",
    "gift_card": "Gift cards issued",
    "refund": "Refunds paid",
    "total": "Total",
}
NOTICE_LABELS = {"email": "E-mail", "sms": "SMS", "letter": "Mail (letter)", "call": "Phone call"}
CONTACT_LABELS = {
    "claims": "Claims",
    "status_links": "Status-link requests",
    "incidents": "Incident reports",
}
CHANNEL_LABELS = {"web": "web form", "api": "API", "not_recorded": "channel not recorded"}

Line = tuple[str, str, str, str]  # section, item, in the month, to date


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


def monthly_lines(figures: dict[str, Any]) -> list[Line]:
    lines: list[Line] = []
    # Keys in a fixed order, not the dict's: PostgreSQL's jsonb keeps a locked report's keys its own way.
    for remedy, label in REMEDY_LABELS.items():
        pair = figures["corrected_by_remedy"][remedy]
        lines.append((UNITS_CORRECTED, label, _n(pair[0]), _n(pair[1])))
    for level in figures["distribution"]:
        lines.append((BY_LEVEL, level["label"], *map(_n, level["corrected"])))  # type: ignore[arg-type]
    for level in figures["distribution"]:
        if level["level"] == "consumer":
            continue
        held = _n(level["held"]) if level["entered"] else "not entered"
        lines.append((HELD, level["label"], held, ""))
    if not figures["notices_sent"]:
        lines.append((NOTIFIED, "No recall notices sent by the programme", "0", "0"))
    for channel, label in NOTICE_LABELS.items():
        pair = figures["notified"][channel]
        lines.append((NOTIFIED, label, _n(pair[0]), _n(pair[1])))
    for kind, kind_label in CONTACT_LABELS.items():
        for channel, channel_label in CHANNEL_LABELS.items():
            pair = figures["contacts"][kind][channel]
            item = f"{kind_label}, {channel_label}"
            lines.append((CONTACTED, item, _n(pair[0]), _n(pair[1])))
    announced = figures["announced_on"]
    for when, label in (("before", f"before the recall ({announced})"), ("after", "after the recall")):
        for name in ("incidents", "injuries"):
            pair = figures["incidents"][when][name]
            lines.append((INCIDENTS, f"{name.capitalize()} {label}", _n(pair[0]), _n(pair[1])))
    checks = figures["serial_checks"]
    lines.append((CHECKS, "Units found recalled", *map(_n, checks["recalled"])))  # type: ignore[arg-type]
    lines.append((CHECKS, "Units of the recalled models not recalled", *map(_n, checks["not_recalled"])))  # type: ignore[arg-type]
    lines.append((DISPOSALS, "Disposals confirmed by certified centres", *map(_n, figures["disposals"])))  # type: ignore[arg-type]
    for unknown in figures["unknown_to_the_programme"]:
        lines.append((UNKNOWN, unknown, "not recorded", "not recorded"))
    return lines


def monthly_csv_body(figures: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    for line in monthly_lines(figures):
        writer.writerow([figures["recall"], figures["month"], *line])
    return out.getvalue()


def monthly_csv_header() -> str:
    out = io.StringIO()
    csv_writer(out).writerow(CSV_COLUMNS)
    return out.getvalue()


def monthly_sections(figures: dict[str, Any]) -> list[tuple[str, list[Line]]]:
    """The lines grouped under their headings, in order."""
    sections: list[tuple[str, list[Line]]] = []
    for line in monthly_lines(figures):
        if not sections or sections[-1][0] != line[0]:
            sections.append((line[0], []))
        sections[-1][1].append(line)
    return sections


def monthly_pages(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For the templates: each recall's figures, its sections and its lock (if any)."""
    return [{**report, "sections": monthly_sections(report["figures"])} for report in reports]


def monthly_pdf(reports: list[dict[str, Any]]) -> bytes:
    """One page per recall (``reports``: ``figures`` and ``lock`` of each)."""
    html = render_to_string("reports/monthly_report_pdf.html", {"pages": monthly_pages(reports)})
    return _weasyprint_html()(string=html).write_pdf()


def _weasyprint_html():
    """weasyprint's ``HTML``, imported here: pango is loaded only by who draws a PDF."""
    from PIL import ImageFile
    from weasyprint import HTML

    # Its import lets Pillow accept truncated images in the whole process; the upload checks of the
    # same worker refuse them (claims.uploads), and the report draws no image.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return HTML
