from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core.throttling import CountingRateThrottle

from .models import RecyclingFacility
from .services import facility_for_token


class FailedAuthenticationThrottle(CountingRateThrottle):
    """Wrong tokens per client (``THROTTLE_RATE_PARTNER_AUTH_FAILURES``). DRF authenticates before it
    throttles, so the view's throttles never see a request whose token is wrong: without this a client
    could guess tokens as fast as the server answers. A right token counts for nothing; each wrong one
    is counted with one atomic step, so guesses sent at once are all counted (only those already under
    way when the limit is reached get their answer)."""

    scope = "partner_auth_failures"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def over_limit(self, request) -> bool:
        if self.rate is None:
            return False
        self.key = self.get_cache_key(request, None)
        return self.counted(self.key) >= self.num_requests

    def record_failure(self) -> None:
        if self.rate is not None:
            self.count(self.key)


class FacilityTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <facility token>``: the facility is the request's user."""

    keyword = "Token"

    def authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != self.keyword:
            return None
        failures = FailedAuthenticationThrottle()
        if failures.over_limit(request):
            raise exceptions.Throttled(wait=failures.wait())
        facility = facility_for_token(token=token.strip())
        if facility is None:
            failures.record_failure()
            raise exceptions.AuthenticationFailed("Invalid facility token.")
        return facility, facility

    def authenticate_header(self, request) -> str:
        return self.keyword


class IsFacility(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, RecyclingFacility)


class FacilityTokenScheme(OpenApiAuthenticationExtension):
    """Describes the partner token in the OpenAPI schema."""

    target_class = FacilityTokenAuthentication
    name = "FacilityToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <facility token>`, as printed by `create_facility`.",
        }
