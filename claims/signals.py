"""What claims tell the rest of the project, after the change is committed."""

from django.dispatch import Signal

# claim_id
claim_submitted = Signal()
# claim_id, old, new
claim_status_changed = Signal()
