from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from reports.rendering import csv_write, table_lines
from reports.selectors import recall_report_rows


class Command(BaseCommand):
    help = (
        "Per recall and market: units affected, claims, approved, remedies issued, disposals confirmed, "
        "correction rate (remedies issued / units affected) and disposal rate (disposals confirmed / "
        "units affected), then the recall's TOTAL, where a batch sold in several markets counts once. "
        "The table shows rates in percent; the CSV as fractions (0.0123 = 1.23%); n/a or empty where "
        "no units are affected. Then the recall notices per market: known owners notified, and of them "
        "those who opened the notice, checked their serial, claimed, were remedied and handed the unit "
        "in, each owner once (the CSV's campaign_* columns)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recall", metavar="CODE", help="Only this recall (default: every recall)")
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(self, *args, recall: str | None, format: str, **options):
        try:
            rows = recall_report_rows(recall_code=recall)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        if format == "csv":
            csv_write(self.stdout, rows)
            return
        if not rows:
            self.stderr.write("No recalls yet.")
            return
        for line in table_lines(rows):
            self.stdout.write(line)
