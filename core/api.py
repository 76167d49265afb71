"""What every API view shares: the JSON error body (domain errors included), the error codes as the
schema documents them, the parser."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, parsers, status
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


# --- The errors in the schema ----------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorCode:
    """A code an operation can answer with, as the schema documents it: the HTTP status it comes
    with, when it is given and an example of its body. The API's shared codes are below; each app's
    API declares the codes of its own domain errors."""

    code: str
    status: int
    when: str
    detail: str
    fields: dict[str, list[str]] | None = None

    def because(self, when: str, detail: str | None = None, fields: dict[str, list[str]] | None = None):
        """The same code as one operation gives it."""
        return replace(self, when=when, detail=detail or self.detail, fields=fields or self.fields)


PARSE_ERROR = ErrorCode(
    "parse_error",
    400,
    "The body cannot be read: malformed JSON or multipart, or JSON nested too deep.",
    "JSON parse error - Expecting value: line 1 column 1 (char 0)",
)
VALIDATION_ERROR = ErrorCode(
    "validation_error",
    400,
    "A field is missing or invalid: `fields` names each one with what is wrong with it.",
    "The request has invalid fields.",
    {"email": ["Enter a valid email address."]},
)
NOT_AUTHENTICATED = ErrorCode(
    "not_authenticated",
    401,
    "No token, or a token that is not valid.",
    "Authentication credentials were not provided.",
)
NOT_FOUND = ErrorCode("not_found", 404, "Nothing is found at this address.", "Not found.")
NOT_ACCEPTABLE = ErrorCode(
    "not_acceptable",
    406,
    "The `Accept` header allows none of the media types the operation answers in.",
    "Could not satisfy the request Accept header.",
)
REQUEST_TOO_LARGE = ErrorCode(
    "request_too_large",
    413,
    "The body is larger than the API takes.",
    "The request is larger than this API takes (32 MB in all, two files of 15 MB).",
)
UNSUPPORTED_MEDIA_TYPE = ErrorCode(
    "unsupported_media_type",
    415,
    "The body is of a media type the operation does not read.",
    'Unsupported media type "text/plain" in request.',
)
THROTTLED = ErrorCode(
    "throttled",
    429,
    "Too many requests from this client: `Retry-After` gives the seconds to wait.",
    "Request was throttled. Expected available in 42 seconds.",
)
# What every operation can answer, and what every one that reads a body can answer besides.
ANY_REQUEST = (NOT_ACCEPTABLE, THROTTLED)
ANY_BODY = (PARSE_ERROR, VALIDATION_ERROR, REQUEST_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE)


def _error_schema(codes: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": codes, "description": "What went wrong, for a program."},
            "detail": {"type": "string", "description": "What went wrong, for a person to read."},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "Validation errors only: each field in error, with its messages.",
            },
        },
        "required": ["code", "detail"],
    }


def error_responses(*errors: ErrorCode) -> dict[tuple[int, str], OpenApiResponse]:
    """The schema's error responses of an operation: per status, the codes it comes with (the body's
    ``code`` is one of them), when each is given, and an example of each; always JSON, whatever else the
    operation answers in. ``ANY_REQUEST`` is added."""
    by_status: dict[int, dict[str, ErrorCode]] = {}
    for error in (*errors, *ANY_REQUEST):
        by_status.setdefault(error.status, {}).setdefault(error.code, error)
    responses = {}
    for status_code, codes in sorted(by_status.items()):
        responses[status_code, "application/json"] = OpenApiResponse(
            _error_schema(list(codes)),
            description="\n".join(f"- `{code}`: {error.when}" for code, error in codes.items()),
            examples=[
                OpenApiExample(
                    code,
                    value=error_body(code, error.detail, error.fields),
                    status_codes=[status_code],
                    response_only=True,
                )
                for code, error in codes.items()
            ],
        )
    return responses
