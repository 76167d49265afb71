from fulfilment.ledger_csv import REFUND_COLUMNS, refunds_open_rows

from ._csvcommand import ExportCommand


class Command(ExportCommand):
    help = "Write the refunds waiting for payout as CSV for finance."
    columns = REFUND_COLUMNS

    def rows(self):
        return refunds_open_rows()
