"""Delivery of outbox messages to an external gift-card provider: HMAC-signed webhooks.

Delivery is at least once: the provider deduplicates on the ``X-Event-Id`` header. Every attempt is
recorded; failures the provider may recover from are retried with backoff by the task.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import DeliveryAttempt, OutboxMessage

TIMEOUT_SECONDS = 10


class TransientDeliveryError(Exception):
    """The provider could not take the message now; try again later."""


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def outbox_deliver(*, message_id: int) -> OutboxMessage:
    message = OutboxMessage.objects.get(pk=message_id)
    if message.status != OutboxMessage.Status.PENDING:
        return message
    body = json.dumps(
        {"event_id": str(message.event_id), "topic": message.topic, "data": message.payload}
    ).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
        settings.GIFT_CARD_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Event-Id": str(message.event_id),
            "X-Timestamp": timestamp,
            "X-Signature": webhook_signature(
                secret=settings.GIFT_CARD_WEBHOOK_SECRET, timestamp=timestamp, body=body
            ),
        },
    )
    status_code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, exc.reason or ""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = str(exc)[:300]

    delivered = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        DeliveryAttempt.objects.create(message=message, status_code=status_code, error=str(error)[:300])
        message.attempts += 1
        if delivered:
            message.status, message.delivered_at = OutboxMessage.Status.DELIVERED, timezone.now()
        message.save(update_fields=["attempts", "status", "delivered_at"])
    if delivered:
        return message
    if status_code is None or status_code >= 500 or status_code in (408, 429):
        raise TransientDeliveryError(f"{status_code or error}")
    OutboxMessage.objects.filter(pk=message_id).update(status=OutboxMessage.Status.FAILED)
    message.refresh_from_db()
    return message


def outbox_mark_failed(*, message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.FAILED
    )


def outbox_pending(*, older_than_seconds: int) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, created_at__lt=cutoff, attempts=0
        ).values_list("pk", flat=True)[:1000]
    )
