import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from fulfilment.ledger_csv import CsvApplyReport, csv_write


class ExportCommand(BaseCommand):
    columns: list[str]

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="File to write (default: standard output)")

    def rows(self):
        raise NotImplementedError

    def handle(self, *args, output: Path | None, **options):
        if output is None:
            count = csv_write(sys.stdout, self.columns, self.rows())
        else:
            with output.open("w", newline="", encoding="utf-8") as out:
                count = csv_write(out, self.columns, self.rows())
        self.stderr.write(f"{count} rows exported")


class ImportCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def apply_file(self, source) -> CsvApplyReport:
        raise NotImplementedError

    def handle(self, *args, file: Path, **options):
        try:
            with file.open(newline="", encoding="utf-8-sig") as source:
                report = self.apply_file(source)
        except FileNotFoundError:
            raise CommandError(f"{file} does not exist.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text; nothing was applied.") from None
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        for error in report.errors:
            self.stderr.write(error)
        self.stdout.write(f"{report.applied} rows applied, {len(report.errors)} refused")
