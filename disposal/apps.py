from django.apps import AppConfig


class DisposalConfig(AppConfig):
    name = "disposal"
    verbose_name = "Disposal"

    def ready(self) -> None:
        from claims import extensions
        from core.models import OutboxMessage
        from core.outbox import outbox_topic_register

        from .selectors import (
            disposal_status_for_claim,
            nearest_centres,
            nearest_facilities_email_section,
            return_kit_for_claim,
            return_kit_offered,
        )
        from .services import return_kit_order_summary, return_kit_webhook_deliver

        # Claims knows no recycling centres: this app tells it, through the slots claims declares.
        extensions.disposal_status.register(disposal_status_for_claim)
        extensions.received_email_sections.register(nearest_facilities_email_section)
        extensions.nearest_centres.register(nearest_centres)
        extensions.return_kit_summary.register(return_kit_for_claim)
        extensions.return_kit_offered.register(return_kit_offered)
        extensions.return_kit_order.register(return_kit_order_summary)
        outbox_topic_register(OutboxMessage.Topic.RETURN_KIT_ORDERED, return_kit_webhook_deliver)
