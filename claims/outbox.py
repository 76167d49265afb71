"""The e-mails claims owes customers, as messages of the outbox (``core.outbox``)."""

from __future__ import annotations

from core.models import OutboxMessage
from core.outbox import outbox_put

CLAIM_EMAIL = OutboxMessage.Topic.CLAIM_EMAIL


def claim_email_owe(*, claim_id: int, template: str, event_id: int | None = None) -> OutboxMessage:
    """Owe the customer an e-mail, in the caller's transaction; ``event_id``: the event it tells of
    (an agent's message)."""
    payload = {"claim_id": claim_id, "template": template}
    if event_id is not None:
        payload["event_id"] = event_id
    return outbox_put(topic=CLAIM_EMAIL, payload=payload)


def claim_email_deliver(message: OutboxMessage) -> None:
    from .notifications import claim_email_send  # renders with the claims' selectors

    claim_email_send(**message.payload)
