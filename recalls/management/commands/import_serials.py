from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from recalls.models import ProductModel, Recall
from recalls.services import SerialImportError, serials_import

SHOWN_REJECTIONS = 50


class Command(BaseCommand):
    help = (
        "Import recalled serial numbers for a recall and model: one serial per line, or a CSV file "
        "with a 'serial' column. Streams the file; serials already listed are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--recall", required=True, help="Recall code, e.g. ANKER-2025-06-A1263")
        parser.add_argument("--model", required=True, help="Model number, e.g. A1263")
        parser.add_argument("--batch", help="Batch name (default: the file's name)")
        parser.add_argument(
            "--markets", help="Countries the batch was sold in, e.g. US,DE (default: the recall's markets)"
        )

    def handle(
        self, *args, file: Path, recall: str, model: str, batch: str | None, markets: str | None, **kw
    ):
        try:
            the_recall = Recall.objects.get(code=recall)
        except Recall.DoesNotExist:
            raise CommandError(f"No recall with code {recall!r}.") from None
        try:
            the_model = ProductModel.objects.get(model_number=model.strip().upper())
        except ProductModel.DoesNotExist:
            raise CommandError(f"No product model {model!r}.") from None
        if not file.is_file():
            raise CommandError(f"{file} is not a readable file.")
        countries = [c for c in (markets or "").replace(" ", "").split(",") if c] or None

        try:
            with file.open("rb") as source:
                report = serials_import(
                    recall=the_recall,
                    model=the_model,
                    source=source,
                    batch_name=batch or file.name,
                    markets=countries,
                )
        except SerialImportError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        except ApplicationError as exc:
            messages = [m for field in (exc.fields or {}).values() for m in field]
            raise CommandError(" ".join(messages) or exc.detail) from None

        for rejected in report.rejected[:SHOWN_REJECTIONS]:
            self.stderr.write(f"line {rejected.line}: {rejected.text!r}: {rejected.reason}")
        if report.rejected_count > SHOWN_REJECTIONS:
            self.stderr.write(f"... and {report.rejected_count - SHOWN_REJECTIONS} more rejected lines")
        self.stdout.write(
            f"batch {report.batch.name!r}: imported {report.imported} rows, "
            f"{report.already_listed} already listed, {report.rejected_count} rejected; "
            f"{report.read} rows read in {report.seconds:.2f} s ({report.rows_per_second:,.0f} rows/s)"
        )
