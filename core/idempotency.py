"""``Idempotency-Key`` for claim submission: a retry with the same key and body gets the first response.

Keys are stored as an HMAC, and the stored response (it holds the claim's access token) is sealed with
AES-GCM under a key derived from the idempotency key itself, so the database alone cannot reveal it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ApplicationError, Refused
from .models import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _derive(purpose: str, key: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{key}".encode(), hashlib.sha256).digest()


def _seal(key: str, body: dict[str, Any]) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_derive("idempotency-seal", key)).encrypt(nonce, json.dumps(body).encode(), None)


def _unseal(key: str, sealed: bytes) -> dict[str, Any]:
    sealed = bytes(sealed)
    return json.loads(AESGCM(_derive("idempotency-seal", key)).decrypt(sealed[:12], sealed[12:], None))


def _file_digest(content: bytes | UploadedFile) -> str:
    """SHA-256 of a file's bytes; an upload is read a chunk at a time, however large it is."""
    if isinstance(content, bytes | bytearray):
        return hashlib.sha256(content).hexdigest()
    digest = hashlib.sha256()
    content.seek(0)
    for chunk in content.chunks():
        digest.update(chunk)
    content.seek(0)
    return digest.hexdigest()


def request_fingerprint(fields: dict[str, Any], files: dict[str, bytes | UploadedFile]) -> str:
    canonical = {
        "fields": fields,
        "files": {name: _file_digest(content) for name, content in files.items()},
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


def _key_invalid() -> ApplicationError:
    return ApplicationError.invalid_fields(
        {"Idempotency-Key": [_("At most %(count)s characters.") % {"count": MAX_KEY_LENGTH}]}
    )


def _replay(record: IdempotencyRecord, key: str, fingerprint: str) -> tuple[int, dict[str, Any]]:
    if not hmac.compare_digest(record.request_fingerprint, fingerprint):
        raise Refused(
            "idempotency_key_reused",
            _("This Idempotency-Key was used with another request body."),
        )
    return record.status_code, _unseal(key, bytes(record.sealed_body))


def _live_record(key_hash: str) -> IdempotencyRecord | None:
    record = IdempotencyRecord.objects.filter(key_hash=key_hash).first()
    if record is not None and record.created_at < timezone.now() - KEEP_FOR:
        record.delete()
        return None
    return record


def idempotent_replay(*, key: str, fingerprint: str) -> tuple[int, dict[str, Any]] | None:
    """The first response given for ``key``, if there is one (``idempotency_key_reused`` if the body
    differs); None if the key is new. Lets a caller skip its slow preparation for a plain retry."""
    if len(key) > MAX_KEY_LENGTH:
        raise _key_invalid()
    record = _live_record(_derive("idempotency-key", key).hex())
    return _replay(record, key, fingerprint) if record is not None else None


def idempotent_response(
    *, key: str, fingerprint: str, respond: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any]]:
    """The first response given for ``key``, or run ``respond`` and keep what it answers.

    A placeholder row is written before ``respond`` runs, in the same transaction: a concurrent request
    with the same key waits on the unique index and then replays the committed answer. Errors are not
    kept; the retry is answered afresh.
    """
    if len(key) > MAX_KEY_LENGTH:
        raise _key_invalid()
    key_hash = _derive("idempotency-key", key).hex()
    record = _live_record(key_hash)
    if record is not None:
        return _replay(record, key, fingerprint)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                key_hash=key_hash, request_fingerprint=fingerprint, status_code=0, sealed_body=b""
            )
            status_code, body = respond()
            record.status_code, record.sealed_body = status_code, _seal(key, body)
            record.save(update_fields=["status_code", "sealed_body"])
            return status_code, body
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(key_hash=key_hash).first()
        if record is None:
            raise
        return _replay(record, key, fingerprint)


def idempotency_records_purge() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted
