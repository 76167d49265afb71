from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from disposal.services import Certification, facility_create


class Command(BaseCommand):
    help = "Register a certified recycling facility and print its API token once (only its hash is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2, e.g. DE")
        parser.add_argument(
            "--certification",
            action="append",
            required=True,
            help="SCHEME:NUMBER:YYYY-MM-DD, e.g. R2:R2-12345:2027-03-31; may be repeated",
        )
        parser.add_argument("--address", default="")
        parser.add_argument("--lat", type=float)
        parser.add_argument("--lon", type=float)

    def handle(self, *args, name, country, certification, address, lat, lon, **options):
        try:
            facility, token = facility_create(
                name=name,
                country=country,
                certifications=[Certification.parse(c) for c in certification],
                address=address,
                latitude=lat,
                longitude=lon,
            )
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        expired = [c for c in facility.certifications.all() if not c.is_valid]
        self.stdout.write(f"facility {facility.pk}: {facility}")
        if expired:
            self.stderr.write(
                "warning: expired certification(s) recorded; this facility cannot confirm disposals until "
                "a valid one is added: " + ", ".join(str(c) for c in expired)
            )
        self.stdout.write(f"token: {token}")
        self.stderr.write("Store the token now: it is not kept and cannot be shown again.")
