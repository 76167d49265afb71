from fulfilment.ledger_csv import csv_apply
from fulfilment.services import refund_mark_paid

from ._csvcommand import ImportCommand


class Command(ImportCommand):
    help = "Mark refunds paid from finance's CSV (columns: reference, payout_reference)."

    def apply_file(self, source):
        return csv_apply(
            source,
            ["reference", "payout_reference"],
            lambda row: refund_mark_paid(
                reference=row["reference"], payout_reference=row["payout_reference"]
            ),
        )
