from disposal.services import return_kit_mark_shipped
from fulfilment.ledger_csv import csv_apply
from fulfilment.management.commands._csvcommand import ImportCommand


class Command(ImportCommand):
    help = (
        "Mark return kits sent from the kit provider's CSV (columns: reference, tracking_number[, carrier])."
    )

    def apply_file(self, source):
        return csv_apply(
            source,
            ["reference", "tracking_number"],
            lambda row: return_kit_mark_shipped(
                reference=row["reference"],
                tracking_number=row["tracking_number"],
                carrier=row.get("carrier", ""),
            ),
        )
