from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from fulfilment.services import gift_card_check, gift_card_redeem


class Command(BaseCommand):
    help = "For the shop that redeems gift cards: check a code, or redeem it (once)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--redeem", action="store_true", help="Mark the card used.")

    def handle(self, *args, code: str, redeem: bool, **options):
        try:
            card = gift_card_redeem(code=code) if redeem else gift_card_check(code=code)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        if card is None:
            raise CommandError("No gift card with this code.")
        self.stdout.write(
            f"{card.display_code}: {card.amount} {card.currency}, {card.get_status_display().lower()} "
            f"(claim {card.claim.reference})"
        )
