"""Tasks queued once a transaction commits: the one way services set work off.

Queueing is best-effort on purpose: what a service owes is already in the database (a remedy due, an
outbox message), so a broker that is down at commit turns into a later delivery by the sweeps, never
into an error for a change that is committed. Tasks are named, not imported: an app queues a later
app's task without importing it.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .recovery import error_text, log_event

logger = logging.getLogger(__name__)

OUTBOX_DELIVER = "core.tasks.outbox_deliver_task"
OUTBOX_DRAIN = "core.tasks.outbox_drain_task"
# Set while a drain of the outbox is queued and has not started: new messages queue no other. It
# expires (OUTBOX_DRAIN_QUEUED_SECONDS), so a drain that is lost or slow to start stops holding back
# the drains of later messages; what the lost one would have sent, the sweep delivers.
OUTBOX_DRAIN_QUEUED = "outbox:drain-queued"


def _queue(task_name: str, **kwargs) -> bool:
    try:
        # No publish retries: an unreachable broker must not hold the answer to a committed change.
        current_app.tasks[task_name].apply_async(kwargs=kwargs, retry=False)
    except Exception as exc:  # the broker is down: the sweep delivers it later
        log_event(
            logger, "queue.unavailable", logging.WARNING, task=task_name, error=error_text(exc), **kwargs
        )
        return False
    return True


def queue_after_commit(task_name: str, **kwargs) -> None:
    transaction.on_commit(partial(_queue, task_name, **kwargs))


def outbox_deliver_after_commit(*, message_id: int, attempt: int) -> None:
    queue_after_commit(OUTBOX_DELIVER, message_id=message_id, attempt=attempt)


def outbox_drain_queue() -> None:
    """Queue a drain of the outbox, unless one is queued and not started yet."""
    # The flag is set after the commit and the drain clears it before it reads: a message committed
    # while the flag was up is seen by the drain that is queued. The cache is shared by every process
    # (production refuses one that is not); the sweep delivers whatever a lost drain left.
    try:
        first = cache.add(OUTBOX_DRAIN_QUEUED, True, timeout=settings.OUTBOX_DRAIN_QUEUED_SECONDS)
    except Exception as exc:  # the cache is down: every commit queues a drain, as if it had none
        log_event(logger, "cache.unavailable", logging.WARNING, error=error_text(exc))
        first = True
    if first and not _queue(OUTBOX_DRAIN):
        outbox_drain_flag_clear()


def outbox_drain_flag_clear() -> None:
    """No drain is queued any more: the next message queues one (a flag left up expires anyway)."""
    try:
        cache.delete(OUTBOX_DRAIN_QUEUED)
    except Exception as exc:
        log_event(logger, "cache.unavailable", logging.WARNING, error=error_text(exc))


def outbox_drain_after_commit() -> None:
    """New messages are delivered by one drain of the outbox, queued once for all of them."""
    transaction.on_commit(outbox_drain_queue)
