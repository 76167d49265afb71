from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .models import RecyclingFacility
from .services import facility_for_token


class FacilityTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <facility token>``: the facility is the request's user."""

    keyword = "Token"

    def authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != self.keyword:
            return None
        facility = facility_for_token(token=token.strip())
        if facility is None:
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
