"""The kernel's own tables."""

from django.db import models


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
