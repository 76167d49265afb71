"""The API's throttling, for the customer pages.

DRF's throttles only run inside DRF views. The pages use the same throttle class, rates
(``DEFAULT_THROTTLE_RATES``, where ``None`` means unlimited), notion of a client (the address, behind
``NUM_PROXIES`` proxies) and cache keys, so a client's page and API requests of one scope count together.
"""

from __future__ import annotations

import hashlib
import math

from django.http import HttpRequest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _PageThrottle(SimpleRateThrottle):
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
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def key_rate_limit_wait(*, scope: str, key: str) -> int | None:
    """As ``rate_limit_wait``, counted per ``key`` (an e-mail address, say) rather than per client."""
    throttle = _PageThrottle(scope, key)
    if throttle.allow_request(None, None):  # type: ignore[arg-type]  # the key stands for the request
        return None
    return max(1, math.ceil(throttle.wait() or 1))
