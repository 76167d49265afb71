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
from django.db import transaction

from .recovery import error_text, log_event

logger = logging.getLogger(__name__)

OUTBOX_DELIVER = "core.tasks.outbox_deliver_task"


def _queue(task_name: str, **kwargs) -> None:
    try:
        # No publish retries: an unreachable broker must not hold the answer to a committed change.
        current_app.tasks[task_name].apply_async(kwargs=kwargs, retry=False)
    except Exception as exc:  # the broker is down: the sweep delivers it later
        log_event(
            logger, "queue.unavailable", logging.WARNING, task=task_name, error=error_text(exc), **kwargs
        )


def queue_after_commit(task_name: str, **kwargs) -> None:
    transaction.on_commit(partial(_queue, task_name, **kwargs))


def outbox_deliver_after_commit(*, message_id: int, attempt: int) -> None:
    queue_after_commit(OUTBOX_DELIVER, message_id=message_id, attempt=attempt)
