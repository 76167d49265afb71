"""The tasks a service wants run once its transaction commits: the one place that queues them.

Queueing is best-effort on purpose: what a service owes is already in the database (a remedy due, an
outbox message), so a broker that is down at commit turns into a later delivery by the sweeps, never
into an error for a change that is committed.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import current_app
from django.db import transaction

from .recovery import error_text, log_event

logger = logging.getLogger(__name__)


# By name: the remedy's task is the fulfilment app's, which claims does not import.
REMEDY_ISSUE = "fulfilment.tasks.remedy_issue_task"
OUTBOX_DELIVER = "claims.tasks.outbox_deliver_task"


def _queue(task_name: str, **kwargs) -> None:
    try:
        # No publish retries: an unreachable broker must not hold the answer to a committed change.
        current_app.tasks[task_name].apply_async(kwargs=kwargs, retry=False)
    except Exception as exc:  # the broker is down: the sweep delivers it later
        log_event(
            logger, "queue.unavailable", logging.WARNING, task=task_name, error=error_text(exc), **kwargs
        )


def remedy_issue_after_commit(*, claim_id: int) -> None:
    transaction.on_commit(partial(_queue, REMEDY_ISSUE, claim_id=claim_id))


def outbox_deliver_after_commit(*, message_id: int, attempt: int) -> None:
    transaction.on_commit(partial(_queue, OUTBOX_DELIVER, message_id=message_id, attempt=attempt))
