from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core.throttling import CountingRateThrottle

from .models import RecyclingFacility
from .services import facility_for_token


class FailedAuthenticationThrottle(CountingRateThrottle):
    """Wrong tokens per client (``THROTTLE_RATE_PARTNER_AUTH_FAILURES``). DRF authenticates before it
    throttles, so the view's throttles never see a request whose token is wrong: without this a client
    could guess tokens as fast as the server answers. Each attempt is counted before its token is
    checked, and given back when the token was right, so guesses sent at once are each counted before
    any of them is checked."""

    scope = "partner_auth_failures"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def give_back(self) -> None:
        """The token was right: the attempt counts for nothing."""
        if self.rate is not None:
            self.count(self.key, -1)


class FacilityTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <facility token>``: the facility is the request's user."""

    keyword = "Token"

    def authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != self.keyword:
            return None
        failures = FailedAuthenticationThrottle()
        if not failures.allow_request(request, None):
            raise exceptions.Throttled(wait=failures.wait())
        facility = facility_for_token(token=token.strip())
        if facility is None:
            raise exceptions.AuthenticationFailed("Invalid facility token.")
        failures.give_back()
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
