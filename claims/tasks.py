from celery import shared_task

from .notifications import claim_email_send


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def claim_email(*, claim_id: int, template: str) -> None:
    claim_email_send(claim_id=claim_id, template=template)
