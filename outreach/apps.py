from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = "Recall notices"

    def ready(self) -> None:
        from claims import extensions
        from core.models import OutboxMessage
        from core.outbox import outbox_topic_register

        from . import tasks  # noqa: F401 - registered in every process: services queue them by name
        from .privacy import known_owners_retention
        from .services import notice_checked_from, notice_claim_attribute, sms_webhook_deliver

        # Claims knows no recall notices: a serial checked and a claim made from a notice's link count
        # for the notice through the slots claims declares; known owners are erased with the claims'
        # retention, by the command claims owns.
        extensions.serial_checked_from.register(notice_checked_from)
        extensions.claim_made_from.register(notice_claim_attribute)
        extensions.retention_erasers.register(known_owners_retention)
        outbox_topic_register(OutboxMessage.Topic.NOTICE_SMS, sms_webhook_deliver)
