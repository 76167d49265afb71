"""Domain errors: a business rule said no. A code for programs, a message for people, no HTTP.

``detail`` and ``fields`` are for people: services write them with ``gettext``, so they come in the
language active when raised (the request's, through ``LocaleMiddleware``). The kind of refusal is the
class; the API's exception handler (``core.api``) and the pages give each kind its HTTP status.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext as _


class ApplicationError(Exception):
    """The request cannot be taken as it is (bad fields, an invalid serial or upload)."""

    def __init__(self, code: str, detail: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.fields = fields

    @classmethod
    def invalid_fields(cls, fields: dict[str, list[str]]) -> ApplicationError:
        """``validation_error`` with the messages of each field."""
        return cls("validation_error", _("The request has invalid fields."), fields=fields)


class NotFound(ApplicationError):
    """What was asked for does not exist (or is not the caller's to know of)."""


class Forbidden(ApplicationError):
    """The caller may not do this."""


class Conflict(ApplicationError):
    """The request is valid but the state forbids it now (already claimed, already issued, ...)."""


class Refused(ApplicationError):
    """The request is understood and valid, and a rule of the programme refuses it (not recalled,
    claims closed)."""


def in_sentence(label: str | Promise) -> str:
    """A choice label as it reads inside a sentence: "Needs review" in "a claim that is needs review".

    Only the first letter changes, so labels translated as adjectives or participles read well too.
    """
    label = str(label)
    return label[:1].lower() + label[1:]
