import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from outreach.services import letters_export


class Command(BaseCommand):
    help = "Write the recall-notice letters due to the print house as CSV; they count as sent."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="File to write (default: standard output)")

    def handle(self, *args, output: Path | None, **options):
        if output is None:
            count = letters_export(out=sys.stdout)
        else:
            with output.open("w", newline="", encoding="utf-8") as out:
                count = letters_export(out=out)
        self.stderr.write(f"{count} letters exported")
