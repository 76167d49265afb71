"""Site-wide middleware: answers under /api/ in JSON, and a warning about how the project is deployed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings

from .api import error_body

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


class ApiAnswersInJson:
    """Every answer under ``/api/`` is JSON ``{"code", "detail"}``, whatever ``DEBUG`` says: Django's own
    error pages (a 404 listing the URLconf, a debug 500, a 400 for a body over the limits) are HTML.

    A body larger than ``MAX_REQUEST_BODY_BYTES`` is refused from its ``Content-Length`` before anything
    reads or spools it; one over Django's field, file-count or memory limits is 413 as well.
    """

    CODES = {
        400: "parse_error",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        413: "request_too_large",
        415: "unsupported_media_type",
        429: "throttled",
    }

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return self._too_large()
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            return self._json_error(response.status_code, response.reason_phrase)
        return response

    def process_exception(self, request, exception):
        if request.path.startswith("/api/") and isinstance(
            exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent
        ):
            return self._too_large()
        return None

    def _json_error(self, status: int, reason: str) -> JsonResponse:
        if status >= 500:
            code, detail = "server_error", _("Something went wrong on our side.")
        elif status == 404:
            code, detail = "not_found", _("Not found.")
        elif status == 400:
            code, detail = "parse_error", _("The request could not be read.")
        else:
            code, detail = self.CODES.get(status, "error"), reason
        return JsonResponse(error_body(code, detail), status=status)

    def _too_large(self) -> JsonResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES // (1024 * 1024)
        return JsonResponse(
            error_body(
                "request_too_large",
                _("The request is larger than this API takes (%(size)s MB in all, two files of 15 MB).")
                % {"size": limit},
            ),
            status=413,
        )
