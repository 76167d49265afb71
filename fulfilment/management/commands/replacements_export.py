from fulfilment.ledger_csv import REPLACEMENT_COLUMNS, replacements_open_rows

from ._csvcommand import ExportCommand


class Command(ExportCommand):
    help = "Write the replacement orders waiting for the warehouse as CSV."
    columns = REPLACEMENT_COLUMNS

    def rows(self):
        return replacements_open_rows()
