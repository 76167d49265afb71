"""Thin Celery tasks of the kernel: the outbox's deliveries and sweep, the idempotency store's purge."""

import contextlib

from celery import shared_task

from .idempotency import idempotency_records_purge
from .outbox import TransientDeliveryError, outbox_deliver, outbox_drain, outbox_sweep


@shared_task
def outbox_deliver_task(*, message_id: int, attempt: int | None = None) -> None:
    # A failed attempt is recorded and logged; the outbox sweep makes the next one at its time.
    with contextlib.suppress(TransientDeliveryError):
        outbox_deliver(message_id=message_id, attempt=attempt)


@shared_task
def outbox_drain_task() -> int:
    return outbox_drain()


@shared_task
def outbox_sweep_task() -> int:
    return outbox_sweep()


@shared_task
def idempotency_purge_task() -> int:
    return idempotency_records_purge()
