from disposal.kit_csv import RETURN_KIT_COLUMNS, return_kits_open_rows
from fulfilment.management.commands._csvcommand import ExportCommand


class Command(ExportCommand):
    help = "Write the return kits waiting for the kit provider as CSV."
    columns = RETURN_KIT_COLUMNS

    def rows(self):
        return return_kits_open_rows()
