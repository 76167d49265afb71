"""The API's throttling, and the same for the customer pages.

Every throttle counts a client's requests with one atomic step of the shared cache (``cache.incr`` on
a counter per client and window: Redis's INCR in production, the embedded file cache under a lock).
DRF's own throttles read a client's history, add the request and write the history back: requests that
arrive together all read the same history and all pass, and a burst of 300 serial checks from one
client on 16 connections passed a limit of 120 a minute, every one. A counter is never lost; its price
is that a client may send up to twice the rate across the end of a window.

DRF's throttles only run inside DRF views. The pages use the same throttle class, rates
(``DEFAULT_THROTTLE_RATES``, where ``None`` means unlimited), notion of a client (the address, behind
``NUM_PROXIES`` proxies) and cache keys, so a client's page and API requests of one scope count together.
"""

from __future__ import annotations

import hashlib
import math

from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.settings import api_settings


class CountingRateThrottle(throttling.SimpleRateThrottle):
    """DRF's ``SimpleRateThrottle`` (its rates, cache keys and ``get_cache_key``), counting each request
    with one ``cache.incr`` of the counter of its key's current window."""

    num_requests: int
    duration: int

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        return self.count(self.key) <= self.num_requests

    def _counter(self, key: str) -> str:
        """The cache key of ``key``'s counter for the window it is now; notes when that window ends."""
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return f"{key}:{window}"

    def count(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to ``key``'s counter of this window; what it counts now."""
        counter = self._counter(key)
        self.cache.add(counter, 0, self.duration + 1)  # once per window: the others find it there
        try:
            return self.cache.incr(counter, delta)
        except ValueError:  # expired between the two steps: this request opens the window again
            if self.cache.add(counter, delta, self.duration + 1):
                return delta
            return self.cache.incr(counter, delta)  # another request opened it first

    def counted(self, key: str) -> int:
        """What ``key``'s counter of this window counts so far, without counting."""
        return self.cache.get(self._counter(key), 0)

    def wait(self) -> float:
        return max(self.window_ends - self.now, 1)


class ScopedRateThrottle(throttling.ScopedRateThrottle, CountingRateThrottle):
    """The API's throttle (``DEFAULT_THROTTLE_CLASSES``): DRF's scopes (a view's ``throttle_scope``),
    counted as ``CountingRateThrottle`` counts."""


class _PageThrottle(CountingRateThrottle):
    def __init__(self, scope: str, ident: str | None = None) -> None:
        self.scope = scope
        self.ident = ident
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]  # read now: settings may have changed
        super().__init__()

    def get_cache_key(self, request, view) -> str:
        if self.ident is not None:  # counted per thing asked for (an e-mail address), hashed
            return self.cache_format % {
                "scope": self.scope,
                "ident": hashlib.sha256(self.ident.encode()).hexdigest(),
            }
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def rate_limit_wait(request: HttpRequest, *, scope: str, ident: str | None = None) -> int | None:
    """Count this request against ``scope`` (per client, or per ``ident``); the seconds to wait if it is
    over the rate, else None."""
    throttle = _PageThrottle(scope, ident)
    # The throttle reads only the request's META and user, which a Django request has too.
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def key_rate_limit_wait(*, scope: str, key: str) -> int | None:
    """As ``rate_limit_wait``, counted per ``key`` (an e-mail address, say) rather than per client."""
    throttle = _PageThrottle(scope, key)
    if throttle.allow_request(None, None):  # the key stands for the request
        return None
    return max(1, math.ceil(throttle.wait() or 1))
