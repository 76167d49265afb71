"""What claims tell the rest of the project, after the change is committed."""

from django.dispatch import Signal

# claim_id
claim_submitted = Signal()
# claim_id, old, new
claim_status_changed = Signal()
# claim_id: the claim may have its remedy issued now
remedy_due = Signal()
# message_id: an outbox message waits for delivery
outbox_message_created = Signal()
