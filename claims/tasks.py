"""Thin Celery tasks: they take ids and call a service. Safe to run twice (see claims.remedies).

Retries live in the database, not in the broker: a task that fails leaves its work due, and the sweeps
queue it again at its retry time. Broker countdowns stay short, well inside the visibility timeout.
"""

import contextlib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .idempotency import idempotency_records_purge
from .outbox import TransientDeliveryError, claim_email_owe, outbox_deliver, outbox_sweep
from .privacy import documents_orphaned_delete
from .remedies import remedies_sweep_due, remedy_failure_record, remedy_issue


@shared_task(bind=True, max_retries=3)
def remedy_issue_task(self, *, claim_id: int) -> None:
    try:
        remedy_issue(claim_id=claim_id)
    except (OperationalError, InterfaceError) as exc:
        # A dropped connection or a deadlock victim: worth a quick second try.
        remedy_failure_record(claim_id=claim_id, exc=exc)
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc
    except Exception as exc:
        remedy_failure_record(claim_id=claim_id, exc=exc)


@shared_task
def remedies_sweep() -> int:
    """Re-queue claims whose remedy is due but was not issued (lost message, killed worker, failure)."""
    return len(remedies_sweep_due())


@shared_task
def outbox_deliver_task(*, message_id: int, attempt: int | None = None) -> None:
    # A failed attempt is recorded and logged; the outbox sweep makes the next one at its time.
    with contextlib.suppress(TransientDeliveryError):
        outbox_deliver(message_id=message_id, attempt=attempt)


@shared_task
def outbox_sweep_task() -> int:
    return outbox_sweep()


@shared_task
def idempotency_purge_task() -> int:
    return idempotency_records_purge()


@shared_task
def documents_orphaned_sweep_task() -> int:
    return documents_orphaned_delete()


@shared_task
def claim_email(*, claim_id: int, template: str) -> None:
    """Messages queued by the version before the outbox: what they owe goes to the outbox now."""
    claim_email_owe(claim_id=claim_id, template=template)
