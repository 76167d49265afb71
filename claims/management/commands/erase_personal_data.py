from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from claims import extensions
from claims.privacy import claims_closed_before, claims_erase_personal_data


class Command(BaseCommand):
    help = (
        "Erase customers' personal data from claims closed (rejected, fulfilled, cancelled) longer than "
        "the retention period, keeping the anonymous figures the recall report needs; and what other "
        "apps keep of people apart from claims (known owners) from before the same cutoff."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.PERSONAL_DATA_RETENTION_DAYS,
            help="Retention after a claim is closed (default: PERSONAL_DATA_RETENTION_DAYS, %(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, older_than_days: int, dry_run: bool, **options):
        if older_than_days < 0:
            raise CommandError("--older-than-days cannot be negative.")
        cutoff = timezone.now() - timedelta(days=older_than_days)
        done = "would be erased" if dry_run else "erased"
        if dry_run:
            count = claims_closed_before(closed_before=cutoff).count()
        else:
            count = claims_erase_personal_data(closed_before=cutoff)
        self.stdout.write(f"{count} claims closed before {cutoff:%Y-%m-%d} {done}")
        for erase in extensions.retention_erasers:
            erasure = erase(cutoff, dry_run)
            self.stdout.write(f"{erasure.count} {erasure.records} before {cutoff:%Y-%m-%d} {done}")
