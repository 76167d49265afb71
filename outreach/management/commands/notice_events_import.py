from fulfilment.management.commands._csvcommand import ImportCommand
from outreach.services import notice_events_apply


class Command(ImportCommand):
    help = (
        "Apply the e-mail and SMS providers' receipts, a CSV with the columns notice_id,event "
        "(delivered or bounced); a bad row is reported with its line number."
    )

    def apply_file(self, source):
        return notice_events_apply(source=source)
