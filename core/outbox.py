"""Messages owed outside (customers' e-mails, providers' HMAC-signed webhooks): the transactional outbox.

A message is written in the transaction that owes it (``outbox_put``) and delivered after it commits,
by a drain of the outbox (``outbox_drain``): queued once for the messages of many commits, it makes
their first attempts a batch at a time, its e-mails sharing one mail connection. Delivery takes the
message by its attempt number, so two deliveries of one attempt (a duplicate task,
the sweep and a late task) send it once; every attempt moves the next one later before anything is
sent, so a worker that dies mid-send or a lost task is picked up by ``outbox_sweep``, and retries
wait in the database, never as broker countdowns. After ``RETRY_MAX_ATTEMPTS`` the message is
``failed``: supervisors see it in the admin and can send it again. A provider deduplicates
webhooks on ``X-Event-Id``.

How a topic is delivered is the business of the app that owes it: it registers a delivery for its
topic (``outbox_topic_register``) in its ``ready()``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .dispatch import (
    outbox_deliver_after_commit,
    outbox_drain_after_commit,
    outbox_drain_flag_clear,
    outbox_drain_queue,
)
from .models import DeliveryAttempt, OutboxMessage
from .recovery import attempts_exhausted, error_text, log_event, retry_at

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
SWEEP_BATCH = 500
DRAIN_BATCH = 100
# Well within a message's reservation (twice OUTBOX_SWEEP_AFTER_SECONDS) and the task's time limits.
DRAIN_SECONDS = 30
# The mail connection a drain opened, shared by the e-mails it sends (see ``outbox_mail_connection``).
_drain_mail: ContextVar[BaseEmailBackend | None] = ContextVar("outbox_drain_mail", default=None)


class TransientDeliveryError(Exception):
    """The receiver could not take the message now; try again later."""

    status_code: int | None = None  # the receiver's HTTP answer, if it gave one


class PermanentDeliveryError(Exception):
    """The receiver refused the message; trying again would not change that."""

    status_code: int | None = None


def _first_retry_after() -> int:
    return settings.OUTBOX_SWEEP_AFTER_SECONDS


def outbox_put(*, topic: str, payload: dict) -> OutboxMessage:
    """Owe a message: written in the caller's transaction, delivered by a drain once it commits."""
    message = OutboxMessage.objects.create(
        topic=topic,
        payload=payload,
        next_attempt_at=retry_at(attempts=0, first_after_seconds=_first_retry_after()),
    )
    outbox_drain_after_commit()
    return message


def outbox_mail_connection() -> BaseEmailBackend | None:
    """The mail connection an e-mail delivery sends with: the drain's, open for all its e-mails, or
    None (``send_mail`` opens one of its own)."""
    return _drain_mail.get()


@contextmanager
def _mail_shared() -> Iterator[None]:
    connection = get_connection()
    token = _drain_mail.set(connection)
    try:
        yield
    finally:
        _drain_mail.reset(token)
        connection.close()


def outbox_drain() -> int:
    """Make the first attempt at every new message, oldest first, a batch at a time; the number made.

    The e-mails share one mail connection. Each batch is taken at once, with the rows another drain
    has locked left to it, so two drains never make one attempt twice. A drain sends for at most
    ``DRAIN_SECONDS``: what it took and has not sent by then is given back to the drain it queues, so
    no message is sent long after it was taken (the sweep would take it again).
    """
    outbox_drain_flag_clear()  # first: a message committed from now on queues another drain
    attempted, deadline = 0, time.monotonic() + DRAIN_SECONDS
    with _mail_shared():
        while taken := _take_new(DRAIN_BATCH):
            for index, message in enumerate(taken):
                if time.monotonic() > deadline:
                    _give_back(taken[index:])
                    outbox_drain_queue()
                    return attempted
                with contextlib.suppress(TransientDeliveryError):
                    _attempt(message)
                attempted += 1
    return attempted


def _give_back(messages: list[OutboxMessage]) -> None:
    """Messages taken by this drain and not sent: new again, for the next drain."""
    OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], status=OutboxMessage.Status.PENDING, attempts=1
    ).update(attempts=0, next_attempt_at=retry_at(attempts=0, first_after_seconds=_first_retry_after()))


def new_messages(*, limit: int) -> QuerySet[OutboxMessage]:
    """The oldest ``limit`` messages not attempted yet, those another drain holds skipped: read from
    their own index, however many messages wait for a retry."""
    return (
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(status=OutboxMessage.Status.PENDING, attempts=0)
        .order_by("pk")[:limit]
    )


def _take_new(limit: int) -> list[OutboxMessage]:
    """Take the first attempt at up to ``limit`` new messages, with the write ``outbox_deliver`` makes."""
    take = _take(attempt=0, now=timezone.now())
    with transaction.atomic():
        messages = list(new_messages(limit=limit))
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(**take)
    for message in messages:
        for name, value in take.items():
            setattr(message, name, value)
    return messages


# Topic -> how to deliver one message of it: returns the receiver's HTTP status, if any, or raises
# TransientDeliveryError / PermanentDeliveryError.
_DELIVERIES: dict[str, Callable[[OutboxMessage], int | None]] = {}


def outbox_topic_register(topic: str, deliver: Callable[[OutboxMessage], int | None]) -> None:
    """The app that owes messages of ``topic`` says how they are delivered (once, in its ``ready()``)."""
    if _DELIVERIES.get(topic, deliver) is not deliver:
        raise RuntimeError(f"Outbox topic {topic!r} is delivered already by {_DELIVERIES[topic].__module__}.")
    _DELIVERIES[topic] = deliver


def outbox_topics() -> dict[str, str]:
    """Each topic and where its delivery lives, for the test that every topic has one."""
    return {topic: f"{deliver.__module__}.{deliver.__qualname__}" for topic, deliver in _DELIVERIES.items()}


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def outbox_deliver(*, message_id: int, attempt: int | None = None) -> OutboxMessage:
    """Make attempt number ``attempt`` (by default the next one) at delivering the message.

    Returns the message as it is afterwards; a message delivered already, failed, or taken by another
    delivery of the same attempt is returned unchanged and nothing is sent. Raises
    ``TransientDeliveryError`` when this attempt failed and another will follow.
    """
    message = OutboxMessage.objects.get(pk=message_id)
    attempt = message.attempts if attempt is None else attempt
    now = timezone.now()
    # This attempt, if no other delivery has made it already.
    this_attempt = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING, attempts=attempt
    )
    if attempts_exhausted(attempt):
        # Attempts that never came back (a worker killed while sending) count too: give up here.
        if this_attempt.update(status=OutboxMessage.Status.FAILED, next_attempt_at=None):
            log_event(
                logger, "outbox.dead_lettered", logging.ERROR, event_id=message.event_id, attempt=attempt
            )
        message.refresh_from_db()
        return message
    take = _take(attempt=attempt, now=now)
    if not this_attempt.update(**take):
        message.refresh_from_db()
        return message
    for name, value in take.items():
        setattr(message, name, value)
    return _attempt(message)


def _take(*, attempt: int, now) -> dict[str, Any]:
    """The write that takes attempt number ``attempt`` at a message.

    It moves the next attempt later before anything is sent: a worker that dies while sending leaves
    the message due.
    """
    return {
        "attempts": attempt + 1,
        "next_attempt_at": retry_at(attempts=attempt + 1, first_after_seconds=_first_retry_after(), now=now),
    }


def _attempt(message: OutboxMessage) -> OutboxMessage:
    """Send a message whose attempt is taken, and record how it went."""
    status_code, error = None, ""
    failure: TransientDeliveryError | PermanentDeliveryError | None
    try:
        status_code = _send(message)
    except (TransientDeliveryError, PermanentDeliveryError) as exc:
        error = str(exc)[:300]
        status_code = getattr(exc, "status_code", None)
        failure = exc
    except SoftTimeLimitExceeded:
        raise  # the task is out of time: not a failure of the receiver's (the sweep makes this attempt again)
    except Exception as exc:  # SMTP, template or network errors: worth another attempt
        error, failure = error_text(exc), TransientDeliveryError(error_text(exc))
        shared = outbox_mail_connection()
        if shared is not None:
            with contextlib.suppress(Exception):
                shared.close()  # the next e-mail opens a fresh one, not a connection left broken
    else:
        failure = None
    return _record_attempt(message, status_code=status_code, error=error, failure=failure)


def _record_attempt(message: OutboxMessage, *, status_code, error: str, failure) -> OutboxMessage:
    fields: dict[str, Any] = {"last_error": error}
    if failure is None:
        fields.update(
            status=OutboxMessage.Status.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
        )
    elif isinstance(failure, PermanentDeliveryError) or attempts_exhausted(message.attempts):
        fields.update(status=OutboxMessage.Status.FAILED, next_attempt_at=None)
    with transaction.atomic():
        DeliveryAttempt.objects.create(message=message, status_code=status_code, error=error)
        # Only this attempt's outcome: a later attempt (or a supervisor's retry) is not overwritten.
        recorded = OutboxMessage.objects.filter(
            pk=message.pk, status=OutboxMessage.Status.PENDING, attempts=message.attempts
        ).update(**fields)
    if recorded:
        for name, value in fields.items():
            setattr(message, name, value)
    else:
        message.refresh_from_db()
    log: dict[str, Any] = {"event_id": message.event_id, "topic": message.topic, "attempt": message.attempts}
    if message.status == OutboxMessage.Status.DELIVERED:
        log_event(logger, "outbox.delivered", **log)
        return message
    if message.status == OutboxMessage.Status.FAILED:
        log_event(logger, "outbox.dead_lettered", logging.ERROR, **log, error=error)
        return message
    log_event(
        logger, "outbox.attempt_failed", logging.WARNING, **log, error=error, next=message.next_attempt_at
    )
    raise TransientDeliveryError(error)


def _send(message: OutboxMessage) -> int | None:
    deliver = _DELIVERIES.get(message.topic)
    if deliver is None:
        raise PermanentDeliveryError(f"No delivery for topic {message.topic!r}.")
    return deliver(message)


def webhook_post(message: OutboxMessage, *, url: str, secret: str) -> int:
    """POST the message as a signed webhook; its HTTP status, or a transient or permanent failure."""
    body = json.dumps(
        {"event_id": str(message.event_id), "topic": message.topic, "data": message.payload}
    ).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Event-Id": str(message.event_id),
            "X-Timestamp": timestamp,
            "X-Signature": webhook_signature(secret=secret, timestamp=timestamp, body=body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        failure_class = (
            TransientDeliveryError if exc.code >= 500 or exc.code in (408, 429) else PermanentDeliveryError
        )
        failure = failure_class(f"HTTP {exc.code} {exc.reason or ''}".strip())
        failure.status_code = exc.code
        raise failure from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TransientDeliveryError(str(exc)[:300]) from None


def outbox_sweep() -> int:
    """Queue the pending messages whose next attempt is due (a lost task, a dead worker, a retry).

    Each is pushed a retry interval later as it is queued, so a sweep never queues one twice while a
    worker is down, and the oldest due go first.
    """
    now = timezone.now()
    due = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:SWEEP_BATCH]
    )
    later = now + timedelta(seconds=_first_retry_after())
    for message_id, attempts in due:
        OutboxMessage.objects.filter(pk=message_id, attempts=attempts).update(next_attempt_at=later)
        outbox_deliver_after_commit(message_id=message_id, attempt=attempts)
    if due:
        log_event(logger, "outbox.swept", queued=len(due))
    return len(due)


def outbox_retry(*, message_ids: list[int]) -> int:
    """A supervisor sends failed messages again: each gets a fresh set of attempts."""
    with transaction.atomic():
        retried = list(
            OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxMessage.Status.FAILED).values_list(
                "pk", flat=True
            )
        )
        OutboxMessage.objects.filter(pk__in=retried).update(
            status=OutboxMessage.Status.PENDING,
            attempts=0,
            next_attempt_at=retry_at(attempts=0, first_after_seconds=_first_retry_after()),
        )
        for message_id in retried:
            outbox_deliver_after_commit(message_id=message_id, attempt=0)
    return len(retried)
