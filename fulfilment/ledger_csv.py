"""CSV exchange with the warehouse and finance: open orders out, confirmations in."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from claims.models import ClaimStatus
from core.errors import ApplicationError
from core.spreadsheets import csv_writer

from .models import Refund, Replacement

REPLACEMENT_COLUMNS = ["reference", "model_number", "name", "address", "country", "ordered_at"]
REFUND_COLUMNS = ["reference", "name", "email", "amount", "currency", "instructed_at"]


def replacements_open_rows() -> Iterable[list[str]]:
    orders = (
        Replacement.objects.filter(
            shipping_status=Replacement.Shipping.PENDING, claim__status=ClaimStatus.FULFILLING
        )
        .select_related("claim", "model")
        .order_by("ordered_at")
    )
    for order in orders.iterator(chunk_size=2000):
        yield [
            order.claim.reference,
            order.model.model_number,
            order.ship_to_name,
            order.ship_to_address.replace("\n", ", "),
            order.ship_to_country,
            order.ordered_at.isoformat(),
        ]


def refunds_open_rows() -> Iterable[list[str]]:
    refunds = (
        Refund.objects.filter(payout_status=Refund.Payout.PENDING, claim__status=ClaimStatus.FULFILLING)
        .select_related("claim")
        .order_by("instructed_at")
    )
    for refund in refunds.iterator(chunk_size=2000):
        yield [
            refund.claim.reference,
            refund.claim.customer_name,
            refund.claim.email,
            str(refund.amount),
            refund.currency,
            refund.instructed_at.isoformat(),
        ]


def csv_write(out: IO[str], columns: list[str], rows: Iterable[list[str]]) -> int:
    writer = csv_writer(out)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


@dataclass
class CsvApplyReport:
    applied: int = 0
    errors: list[str] = field(default_factory=list)


def csv_apply(
    source: IO[str], required: list[str], apply: Callable[[dict[str, str]], object]
) -> CsvApplyReport:
    """Apply each row on its own: a bad row is reported with its line number, the others still count."""
    reader = csv.DictReader(source)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise ApplicationError("validation_error", f"The CSV lacks the column(s): {', '.join(missing)}.")
    reader.fieldnames = header
    report = CsvApplyReport()
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            apply(values)
            report.applied += 1
        except ApplicationError as exc:
            report.errors.append(f"line {reader.line_num}: {values.get('reference', '')}: {exc.detail}")
    return report
