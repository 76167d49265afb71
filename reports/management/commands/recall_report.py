import io

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from reports.monthly import month_parse
from reports.rendering import csv_write, table_lines
from reports.selectors import recall_report_rows
from reports.services import monthly_report_csv, monthly_report_pdf, monthly_reports


class Command(BaseCommand):
    help = (
        "Per recall and market: units affected, claims, approved, remedies issued, disposals confirmed, "
        "correction rate (remedies issued / units affected) and disposal rate (disposals confirmed / "
        "units affected), then the recall's TOTAL, where a batch sold in several markets counts once. "
        "The table shows rates in percent; the CSV as fractions (0.0123 = 1.23%); n/a or empty where "
        "no units are affected. Then the recall notices per market: known owners notified, and of them "
        "those who opened the notice, checked their serial, claimed, were remedied and handed the unit "
        "in, each owner once (the CSV's campaign_* columns). "
        "With --monthly YYYY-MM: the CPSC's monthly progress report of each recall for that month (UTC), "
        "as CSV (default) or PDF; a month locked in the admin is the report as it was locked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recall", metavar="CODE", help="Only this recall (default: every recall)")
        parser.add_argument("--format", choices=["table", "csv", "pdf"], default=None)
        parser.add_argument("--monthly", metavar="YYYY-MM", help="The monthly progress report of this month")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output")

    def handle(self, *args, recall: str | None, format: str | None, monthly: str | None, output, **options):
        if monthly is not None:
            self._monthly(monthly, recall, format or "csv", output)
            return
        if format == "pdf":
            raise CommandError("--format pdf is for the monthly report: add --monthly YYYY-MM.")
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

    def _monthly(self, month_text: str, recall: str | None, format: str, output: str | None) -> None:
        if format == "table":
            raise CommandError("The monthly report comes as --format csv or --format pdf.")
        try:
            month = month_parse(month_text)
            reports = monthly_reports(month=month, recall_code=recall)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        if not reports:
            raise CommandError("No recalls yet.")
        data = monthly_report_csv(reports) if format == "csv" else monthly_report_pdf(reports)
        if output:
            with open(output, "wb") as out:
                out.write(data)
            return
        # The bytes as they are (a locked month's are the stored ones), text streams get the CSV as text.
        stream = self.stdout._out
        binary = getattr(stream, "buffer", None)
        if binary is not None:
            stream.flush()
            binary.write(data)
            binary.flush()
        elif isinstance(stream, io.TextIOBase):
            if format == "pdf":
                raise CommandError("A PDF needs a binary output: give --output FILE.")
            stream.write(data.decode())
        else:
            stream.write(data)
