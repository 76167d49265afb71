"""Which client a request comes from, the same way for the API's throttles and the staff login lockout."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.settings import api_settings


def client_address(request: HttpRequest) -> str:
    """The address of the client: behind ``DJANGO_NUM_PROXIES`` proxies, the one the outermost of them
    saw (the last addresses of ``X-Forwarded-For`` are the proxies' own); with none, the connection's.
    As DRF's ``BaseThrottle.get_ident``."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = api_settings.NUM_PROXIES
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(proxies, len(addresses))]
    return remote
