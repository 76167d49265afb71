from django.dispatch import receiver

from .models import Claim, OutboxMessage
from .notifications import STATUS_EMAILS
from .signals import claim_status_changed, claim_submitted, outbox_message_created, remedy_due
from .tasks import claim_email, outbox_deliver_task, remedy_issue_task


@receiver(claim_submitted, sender=Claim)
def email_claim_received(sender, *, claim_id: int, **kwargs) -> None:
    claim_email.delay(claim_id=claim_id, template="received")


@receiver(claim_status_changed, sender=Claim)
def email_status_change(sender, *, claim_id: int, new: str, **kwargs) -> None:
    if new in STATUS_EMAILS:
        claim_email.delay(claim_id=claim_id, template=STATUS_EMAILS[new])


@receiver(remedy_due, sender=Claim)
def queue_remedy(sender, *, claim_id: int, **kwargs) -> None:
    remedy_issue_task.delay(claim_id=claim_id)


@receiver(outbox_message_created, sender=OutboxMessage)
def queue_outbox_delivery(sender, *, message_id: int, **kwargs) -> None:
    outbox_deliver_task.delay(message_id=message_id)
