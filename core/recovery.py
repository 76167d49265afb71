"""When owed work (a remedy, a message) that did not happen is tried again, and when it is given up.

A failed attempt always moves the next one later, so work that keeps failing sinks behind newer work
instead of starving it, and after ``settings.RETRY_MAX_ATTEMPTS`` it is dead-lettered: kept, shown to
supervisors in the admin with a retry action, and never queued again by itself.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

# However many attempts failed, the next one is at most this far away.
MAX_RETRY_DELAY = timedelta(hours=6)


def retry_at(*, attempts: int, first_after_seconds: int, now: datetime | None = None) -> datetime:
    """The time of the next attempt after ``attempts`` failed ones: doubling from ``first_after``."""
    delay = timedelta(seconds=max(first_after_seconds, 1) * 2 ** min(attempts, 20))
    return (now or timezone.now()) + min(delay, MAX_RETRY_DELAY)


def attempts_exhausted(attempts: int) -> bool:
    return attempts >= settings.RETRY_MAX_ATTEMPTS


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields) -> None:
    """One structured line: ``event key=value ...`` in plain logs, the same fields as keys in JSON logs."""
    text = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.log(level, "%s %s", event, text, extra={"event": event, **fields})
