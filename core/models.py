"""The kernel's own tables."""

import uuid

from django.db import models
from django.db.models import Q


class IdempotencyRecord(models.Model):
    """The first response to a request sent with an ``Idempotency-Key``, kept for 24 hours.

    The key is stored hashed and the response (which holds the claim's access token) encrypted with
    a key derived from the idempotency key: only a client that knows the key can read it back.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    request_fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    sealed_body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.key_hash[:12]


class OutboxMessage(models.Model):
    """A message owed to someone outside (a customer's e-mail, a provider's webhook), written in the
    transaction that owes it and delivered after, so a broker that is down loses nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed after all attempts"

    class Topic(models.TextChoices):
        # The messages the programme sends (their deliveries are registered by the apps that owe them).
        CLAIM_EMAIL = "claim.email", "E-mail to the customer"
        GIFT_CARD_ISSUED = "gift_card.issued", "Gift card webhook"
        NOTICE_SMS = "notice.sms", "Recall notice by SMS"
        RETURN_KIT_ORDERED = "return_kit.ordered", "Return kit order webhook"
        STAFF_EMAIL = "staff.email", "E-mail to staff"

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField(max_length=60, choices=Topic.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="While pending: when the sweep delivers it if nothing has by then."
    )
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("retry_outboxmessage", "Can send again messages that failed after all attempts")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="core_outbox_due",
            ),
            models.Index(fields=["status", "created_at"], name="core_outbox_pending"),
            # What a drain reads: the new messages in order, never the ones waiting for a retry (an
            # outage leaves thousands, which every drain would otherwise pass over).
            models.Index(fields=["id"], condition=Q(status="pending", attempts=0), name="core_outbox_new"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id}"


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="delivery_attempts")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["attempted_at"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status_code or self.error}"
