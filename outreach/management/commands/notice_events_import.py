from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from outreach.services import notice_events_apply


class Command(BaseCommand):
    help = (
        "Apply the e-mail and SMS providers' receipts, a CSV with the columns notice_id,event "
        "(delivered or bounced); a bad row is reported with its line number."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            with file.open(newline="", encoding="utf-8-sig") as source:
                report = notice_events_apply(source=source)
        except FileNotFoundError:
            raise CommandError(f"{file} does not exist.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text; nothing was applied.") from None
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(f"{report.applied} rows applied, {len(report.errors)} refused")
