from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from outreach.services import campaign_start
from recalls.models import Recall


class Command(BaseCommand):
    help = (
        "Start the recall notices of a market with its wave plan; the first wave (e-mail) goes out at once. "
        "A campaign already running is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recall", required=True, help="The recall's code")
        parser.add_argument("--country", required=True, help="The market, e.g. US")

    def handle(self, *args, recall: str, country: str, **options):
        found = Recall.objects.filter(code=recall).first()
        if found is None:
            raise CommandError(f"No recall {recall}.")
        try:
            campaign = campaign_start(recall=found, country=country)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        planned = campaign.waves.get(number=1).notices.count() if campaign.waves.exists() else 0
        self.stdout.write(
            f"{campaign}: {campaign.get_status_display().lower()}, {planned} notices in its first wave"
        )
