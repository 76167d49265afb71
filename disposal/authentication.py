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
