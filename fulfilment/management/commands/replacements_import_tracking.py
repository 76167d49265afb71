from fulfilment.ledger_csv import csv_apply
from fulfilment.services import replacement_mark_shipped

from ._csvcommand import ImportCommand


class Command(ImportCommand):
    help = (
        "Mark replacements shipped from the warehouse's CSV (columns: reference, tracking_number[, carrier])."
    )

    def apply_file(self, source):
        return csv_apply(
            source,
            ["reference", "tracking_number"],
            lambda row: replacement_mark_shipped(
                reference=row["reference"],
                tracking_number=row["tracking_number"],
                carrier=row.get("carrier", ""),
            ),
        )
