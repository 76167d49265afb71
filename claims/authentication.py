from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import authentication


class ClaimAccessTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <access_token>``: the token handed out once with a new claim. It opens
    that claim only, so it is read here and checked against the claim by ``claim_get_for_token``;
    without one the request goes on anonymous and finds no claim (404, as a wrong token)."""

    keyword = "bearer"

    def authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != self.keyword or not token.strip():
            return None
        return None, token.strip()


class ClaimAccessTokenScheme(OpenApiAuthenticationExtension):
    """Describes the customers' token in the OpenAPI schema."""

    target_class = ClaimAccessTokenAuthentication
    name = "ClaimAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "The claim's `access_token`, shown once in the answer to `POST /api/v1/claims/`: "
                "`Authorization: Bearer <access_token>`. It opens that claim only. A wrong or missing "
                "token is answered as an unknown reference, 404 `not_found`: a claim's existence is "
                "not disclosed."
            ),
        }


class ClaimAccessTokenRequired(AutoSchema):
    """The schema of a view opened by the token: the token is required. DRF lets a request without one
    in (it is answered 404 by the service, not refused by a permission), which drf-spectacular would
    state as an anonymous alternative."""

    def get_auth(self):
        return [requirement for requirement in super().get_auth() if requirement]
