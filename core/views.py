"""Site-wide views: health check, error pages that speak JSON under /api/, the API's documentation page."""

from __future__ import annotations

import logging
import time

from celery import current_app as celery_app
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.views import SpectacularSwaggerSplitView

from .api import error_body

logger = logging.getLogger(__name__)

# A load balancer asks every few seconds: each process checks the services at most this often.
HEALTH_CACHE_SECONDS = 10.0
_last_health: tuple[float, dict[str, bool]] | None = None


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return defaults.server_error(request)


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from this server's static files (``SWAGGER_UI_DIST = "SIDECAR"``), its setup script a
    file of its own for the Content-Security-Policy.

    ``OPTIONS`` names the methods (in ``Allow``) and nothing else: DRF's default answer is a description
    of the view, which the page's HTML renderer has no template for (a 500)."""

    def options(self, request, *args, **kwargs):
        return HttpResponse()


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)


def _storage() -> None:
    default_storage.exists("healthz")  # one metadata request; the object need not exist


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


def service_health() -> dict[str, bool]:
    global _last_health
    now = time.monotonic()
    if _last_health is not None and now - _last_health[0] < HEALTH_CACHE_SECONDS:
        return _last_health[1]
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = True
        except Exception as exc:
            logger.warning(
                "health.check_failed service=%s error=%s", name, f"{type(exc).__name__}: {exc}"[:200]
            )
            results[name] = False
    _last_health = (now, results)
    return results


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the broker and the storage answer; 503 naming the ones that do not."""
    checks = service_health()
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": {k: "ok" if v else "down" for k, v in checks.items()},
        },
        status=200 if healthy else 503,
    )
