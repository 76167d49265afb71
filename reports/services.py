"""What the reports app changes: the status-link requests it counts and the locked monthly reports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, Refused
from recalls.models import Recall

from .models import MonthlyReportLock, StatusLinkRequest
from .monthly import monthly_figures, monthly_recalls, next_month
from .monthly_rendering import monthly_csv_body, monthly_csv_header, monthly_pdf


def status_links_count(recall_ids: list[int], channel: str) -> None:
    """The ``claims.extensions.status_links_requested`` slot: one request for each recall."""
    StatusLinkRequest.objects.bulk_create(
        [StatusLinkRequest(recall_id=recall_id, channel=channel) for recall_id in recall_ids]
    )


@dataclass
class MonthlyReport:
    """One recall's report of one month: live, or as it was locked (``lock`` set)."""

    recall: Recall
    month: datetime.date
    figures: dict[str, Any]
    lock: MonthlyReportLock | None = None
    as_of: datetime.datetime | None = None

    def page(self) -> dict[str, Any]:
        lock = None
        if self.lock is not None:
            by = self.lock.locked_by.get_username() if self.lock.locked_by else "unknown"
            lock = {"by": by, "at": f"{self.lock.locked_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M}"}
        as_of = f"{(self.as_of or timezone.now()).astimezone(datetime.UTC):%Y-%m-%d %H:%M}"
        return {"figures": self.figures, "lock": lock, "as_of": as_of}


def monthly_reports(*, month: datetime.date, recall_code: str | None = None) -> list[MonthlyReport]:
    """Each recall's report of the month, by code: a locked one as stored, the others computed now.

    Raises ``ApplicationError`` (``not_found``) for an unknown recall code."""
    recalls = monthly_recalls(recall_code=recall_code)
    locks = {
        lock.recall_id: lock
        for lock in MonthlyReportLock.objects.filter(recall__in=recalls, month=month)
        .select_related("locked_by")
        .defer("csv", "pdf")
    }
    live = monthly_figures(recalls=[r for r in recalls if r.pk not in locks], month=month)
    now = timezone.now()
    return [
        MonthlyReport(
            recall=recall,
            month=month,
            figures=locks[recall.pk].figures if recall.pk in locks else live[recall.pk],
            lock=locks.get(recall.pk),
            as_of=now,
        )
        for recall in recalls
    ]


def _stored(report: MonthlyReport, field: str) -> bytes:
    assert report.lock is not None
    return bytes(MonthlyReportLock.objects.values_list(field, flat=True).get(pk=report.lock.pk))


def monthly_report_csv(reports: list[MonthlyReport]) -> bytes:
    """A header, then each recall's lines; a locked recall's as they were stored."""
    if len(reports) == 1 and reports[0].lock is not None:
        return _stored(reports[0], "csv")
    header = monthly_csv_header().encode()
    parts = [header]
    for report in reports:
        if report.lock is not None:
            parts.append(_stored(report, "csv")[len(header) :])
        else:
            parts.append(monthly_csv_body(report.figures).encode())
    return b"".join(parts)


def monthly_report_pdf(reports: list[MonthlyReport]) -> bytes:
    """One page per recall; one locked recall alone is the PDF stored when it was locked."""
    if len(reports) == 1 and reports[0].lock is not None:
        return _stored(reports[0], "pdf")
    return monthly_pdf([report.page() for report in reports])


@transaction.atomic
def monthly_report_lock(*, recall: Recall, month: datetime.date, user: AbstractBaseUser) -> MonthlyReportLock:
    """Keeps the month's report of the recall as it is now, CSV and PDF included: from then on it is
    served as stored. Only a month that is over can be locked, and only once."""
    today = timezone.now().astimezone(datetime.UTC).date()
    if next_month(month) > today:
        raise Refused(
            "month_not_over", f"{month:%Y-%m} is not over yet: its report can be locked from the next month."
        )
    if MonthlyReportLock.objects.filter(recall=recall, month=month).exists():
        raise Conflict("already_locked", f"The report of {recall.code} for {month:%Y-%m} is locked already.")
    (report,) = monthly_reports(month=month, recall_code=recall.code)
    lock = MonthlyReportLock(recall=recall, month=month, locked_by=user, locked_at=timezone.now())
    report.lock = lock
    lock.figures = report.figures
    lock.csv = (monthly_csv_header() + monthly_csv_body(report.figures)).encode()
    lock.pdf = monthly_pdf([report.page()])
    try:
        with transaction.atomic():
            lock.save()
    except IntegrityError:
        raise Conflict(
            "already_locked", f"The report of {recall.code} for {month:%Y-%m} is locked already."
        ) from None
    return lock
