"""A per-client rate limit for the customer pages, with the API's rates and client identity.

DRF's throttles only run inside DRF views; the pages share their rates (``DEFAULT_THROTTLE_RATES``,
where ``None`` means unlimited) and their notion of a client (``get_ident``: the address, behind
``NUM_PROXIES`` proxies), and count requests in the cache the same way: a sliding window of timestamps.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_rate(rate: str) -> tuple[int, int]:
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0].lower()]


def rate_limit_wait(request: HttpRequest, *, scope: str) -> int | None:
    """Count this request against ``scope``; the seconds to wait if it is over the rate, else None."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)
    if rate is None:
        return None
    limit, period = _parse_rate(rate)
    key = f"page_throttle:{scope}:{BaseThrottle().get_ident(request)}"
    now = time.time()
    history = [moment for moment in cache.get(key, []) if moment > now - period]
    if len(history) >= limit:
        return max(1, math.ceil(history[-1] + period - now))
    cache.set(key, [now, *history], period)
    return None
