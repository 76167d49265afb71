"""Thin Celery tasks: they take ids and call a service. Safe to run twice (see claims.remedies)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError

from .idempotency import idempotency_records_purge
from .notifications import claim_email_send
from .outbox import TransientDeliveryError, outbox_deliver, outbox_mark_failed, outbox_pending
from .remedies import claims_stuck, remedy_issue


@shared_task(
    autoretry_for=(OSError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def claim_email(*, claim_id: int, template: str) -> None:
    claim_email_send(claim_id=claim_id, template=template)


@shared_task(bind=True, max_retries=10)
def remedy_issue_task(self, *, claim_id: int) -> None:
    try:
        remedy_issue(claim_id=claim_id)
    except (OperationalError, InterfaceError, IntegrityError) as exc:
        # Transient only: a dropped connection, a deadlock victim, a gift-card code drawn twice.
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 300)) from exc


@shared_task
def remedies_sweep() -> int:
    """Re-queue claims whose remedy is due but was never issued (lost message, killed worker)."""
    stuck = claims_stuck(older_than=timedelta(seconds=settings.REMEDY_SWEEP_AFTER_SECONDS))
    for claim_id in stuck:
        remedy_issue_task.delay(claim_id=claim_id)
    for message_id in outbox_pending(older_than_seconds=settings.REMEDY_SWEEP_AFTER_SECONDS):
        outbox_deliver_task.delay(message_id=message_id)
    idempotency_records_purge()
    return len(stuck)


@shared_task(bind=True, max_retries=8)
def outbox_deliver_task(self, *, message_id: int) -> None:
    try:
        outbox_deliver(message_id=message_id)
    except TransientDeliveryError as exc:
        if self.request.retries >= self.max_retries:
            outbox_mark_failed(message_id=message_id)
            return
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
