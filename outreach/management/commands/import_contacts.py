import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from outreach.services import OWNERS_HEADER, OwnersImportError, owners_import
from recalls.models import Recall


class Command(BaseCommand):
    help = (
        "Import known owners for a recall from a retailer's order file or product registrations: a CSV "
        f"file with the header {','.join(OWNERS_HEADER)}. Streams the file; owners already known for "
        "the recall are skipped, bad lines are reported with their numbers."
    )
    # call_command(..., stdin=...) in tests, as createsuperuser takes it.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file, or - for standard input")
        parser.add_argument("--recall", required=True, help="Recall code, e.g. ANKER-2025-06-A1263")
        parser.add_argument("--source", help="Where the file comes from (default: the file's name)")

    def handle(self, *args, file: str, recall: str, source: str | None, **options):
        try:
            the_recall = Recall.objects.get(code=recall)
        except Recall.DoesNotExist:
            raise CommandError(f"No recall with code {recall!r}.") from None

        started = time.monotonic()
        try:
            if file == "-":
                stdin = options.get("stdin") or sys.stdin.buffer
                report = owners_import(recall=the_recall, source=source or "", lines=stdin)
            else:
                path = Path(file)
                with path.open("rb") as lines:
                    report = owners_import(recall=the_recall, source=source or path.name[:100], lines=lines)
        except OwnersImportError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        except OSError as exc:
            raise CommandError(
                f"{file} cannot be read: {exc.strerror or exc}. Nothing was imported."
            ) from None
        seconds = time.monotonic() - started

        for line, message in report.bad_lines:
            self.stderr.write(f"line {line}: {message}")
        if report.bad_line_count > len(report.bad_lines):
            self.stderr.write(f"... and {report.bad_line_count - len(report.bad_lines)} more bad lines")
        self.stdout.write(
            f"recall {the_recall.code}: imported {report.imported} owners "
            f"({report.not_covered} with a serial outside every recalled batch), "
            f"{report.skipped_known} already known, {report.bad_line_count} bad lines; {seconds:.2f} s"
        )
