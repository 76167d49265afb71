"""Thin Celery tasks: they take ids and call a service. Safe to run twice.

Retries live in the database, not in the broker: a task that fails leaves its work due, and the sweeps
queue it again at its retry time. Broker countdowns stay short, well inside the visibility timeout.
"""

import contextlib

from celery import shared_task

from core.idempotency import idempotency_records_purge

from .outbox import TransientDeliveryError, claim_email_owe, outbox_deliver, outbox_sweep
from .privacy import documents_orphaned_delete


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
