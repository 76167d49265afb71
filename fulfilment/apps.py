from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "fulfilment"
    verbose_name = "Fulfilment"

    def ready(self) -> None:
        from claims import extensions
        from core.models import OutboxMessage
        from core.outbox import outbox_topic_register

        from . import tasks  # noqa: F401 - registered in every process: claims queues them by name
        from .selectors import fulfilment_for_claim, fulfilment_line_for_agents
        from .services import gift_card_webhook_deliver, replacement_erase_address

        # Claims knows no gift-card ledger: this app tells it, through the slots claims declares.
        extensions.fulfilment_summary.register(fulfilment_for_claim)
        extensions.fulfilment_line_for_agents.register(fulfilment_line_for_agents)
        extensions.personal_data_erasers.register(replacement_erase_address)
        outbox_topic_register(OutboxMessage.Topic.GIFT_CARD_ISSUED, gift_card_webhook_deliver)
