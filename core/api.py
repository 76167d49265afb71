"""What every API view shares: the JSON error body (domain errors included), its schema, the parser."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response

from .errors import ApplicationError, Conflict, Forbidden, NotFound, Refused


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with JSON nested too deep for Python's parser a ``parse_error`` and not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON nested too deep.")) from None


# The HTTP status of each kind of domain error.
_STATUSES: dict[type[ApplicationError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    Forbidden: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
    Refused: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


def status_for(error: ApplicationError) -> int:
    return next(
        (code for kind, code in _STATUSES.items() if isinstance(error, kind)), status.HTTP_400_BAD_REQUEST
    )


_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "validation_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def _flatten(errors: Any) -> dict[str, list[str]]:
    """DRF's nested error detail, as ``{"field": ["message", ...]}``."""
    if isinstance(errors, list):
        return {"non_field_errors": [str(e) for e in errors]}
    flat: dict[str, list[str]] = {}
    for field, value in errors.items():
        if isinstance(value, dict):
            for sub, messages in _flatten(value).items():
                flat[f"{field}.{sub}"] = messages
        elif isinstance(value, list):
            flat[field] = [str(v) for v in value]
        else:
            flat[field] = [str(value)]
    return flat


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.detail, exc.fields), status=status_for(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
    headers = {}
    auth_header, wait = getattr(exc, "auth_header", None), getattr(exc, "wait", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if wait:
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(code, _("The request has invalid fields."), _flatten(exc.detail))
    else:
        body = error_body(code, str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses a view can answer with."""
    return {code: OpenApiResponse(ErrorSerializer, description="Error") for code in status_codes}
