"""Warnings about how the project is deployed, seen by the first request that shows the problem."""

from __future__ import annotations

import logging

from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class ProxyConfigurationCheck:
    """With ``DJANGO_NUM_PROXIES=0`` the throttles key on the connection's address: behind a proxy that
    is the proxy's, and every customer shares one bucket. Requests carrying ``X-Forwarded-For`` say a
    proxy is there, so the first one logs a warning (once per process)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.warned = False

    def __call__(self, request):
        if not self.warned and not api_settings.NUM_PROXIES and "HTTP_X_FORWARDED_FOR" in request.META:
            self.warned = True
            logger.warning(
                "deploy.proxy_not_configured: requests carry X-Forwarded-For but DJANGO_NUM_PROXIES is 0, "
                "so every client behind the proxy shares one throttle bucket; set DJANGO_NUM_PROXIES to "
                "the number of proxies in front of the application"
            )
        return self.get_response(request)
