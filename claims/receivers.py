from django.dispatch import receiver

from .models import Claim
from .notifications import STATUS_EMAILS
from .signals import claim_status_changed, claim_submitted
from .tasks import claim_email


@receiver(claim_submitted, sender=Claim)
def email_claim_received(sender, *, claim_id: int, **kwargs) -> None:
    claim_email.delay(claim_id=claim_id, template="received")


@receiver(claim_status_changed, sender=Claim)
def email_status_change(sender, *, claim_id: int, new: str, **kwargs) -> None:
    if new in STATUS_EMAILS:
        claim_email.delay(claim_id=claim_id, template=STATUS_EMAILS[new])
