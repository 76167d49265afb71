"""What claims tell the rest of the project, after the change is committed."""

from django.db import transaction
from django.dispatch import Signal

# claim_id
claim_submitted = Signal()
# claim_id, old, new
claim_status_changed = Signal()
# claim_id: the claim may have its remedy issued now
remedy_due = Signal()
# message_id: an outbox message waits for delivery
outbox_message_created = Signal()


def send_on_commit(signal: Signal, sender: type, **kwargs) -> None:
    """Send once the transaction commits, robustly: a broker that is down must not turn a committed
    change into an error response. What is lost is logged; the periodic sweep re-queues remedies."""
    transaction.on_commit(lambda: signal.send(sender, **kwargs), robust=True)
