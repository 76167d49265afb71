from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"

    def ready(self) -> None:
        # Registered in every process, not only the worker: services queue tasks by name (dispatch.py).
        from core.models import OutboxMessage
        from core.outbox import outbox_topic_register

        from . import tasks  # noqa: F401
        from .outbox import claim_email_deliver

        outbox_topic_register(OutboxMessage.Topic.CLAIM_EMAIL, claim_email_deliver)
