from django.core.management.base import BaseCommand, CommandError

from disposal.models import RecyclingFacility
from disposal.services import facility_token_rotate


class Command(BaseCommand):
    help = "Give a facility a new API token and print it once; the old token stops working at once."

    def add_arguments(self, parser):
        parser.add_argument("facility_id", type=int)

    def handle(self, *args, facility_id: int, **options):
        try:
            facility = RecyclingFacility.objects.get(pk=facility_id)
        except RecyclingFacility.DoesNotExist:
            raise CommandError(f"No facility {facility_id}.") from None
        token = facility_token_rotate(facility=facility)
        self.stdout.write(f"facility {facility.pk}: {facility}")
        self.stdout.write(f"token: {token}")
