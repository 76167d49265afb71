"""The e-mails claims owes customers, as messages of the outbox (``core.outbox``)."""

from __future__ import annotations

from core.models import OutboxMessage
from core.outbox import outbox_put

CLAIM_EMAIL = OutboxMessage.Topic.CLAIM_EMAIL


def claim_email_owe(*, claim_id: int, template: str) -> OutboxMessage:
    """Owe the customer an e-mail, in the caller's transaction."""
    return outbox_put(topic=CLAIM_EMAIL, payload={"claim_id": claim_id, "template": template})


def claim_email_deliver(message: OutboxMessage) -> None:
    from .notifications import claim_email_send  # renders with the claims' selectors

    claim_email_send(**message.payload)
