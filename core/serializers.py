"""Text fields for the API's input that take exactly what the schema says they take.

DRF's ``CharField`` also takes a number and makes it a string, measures ``max_length`` after trimming
the ends, and refuses NUL and (unless blank is allowed) text that is only spaces without the schema
saying either. These fields refuse what is not a string, measure the text as sent, refuse text with
no visible character where blank is not allowed, and state the last two rules in the schema.

An amount is text of digits with up to two after a point, as the schema's pattern says: DRF's own
pattern also takes "", "-" and ".", which it then refuses.

A date and time is RFC 3339's, with its offset, as ``format: date-time`` says: DRF (through Python's
``fromisoformat``) also reads a date alone, a time without an offset and a space for the ``T``.

An e-mail address is one the schema's pattern describes: Django's own rule, in ASCII (no quoted
local part, address literal or internationalised domain), with spaces around it (trimmed, as a
customer pastes it). The schema gives that pattern and no ``format: email``, which takes ``a@b.c`` (a
one-letter top-level domain Django refuses) and refuses the spaces.

The hot endpoints' answers are written by an ``AnswerSerializer``, whose fields are built once."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

# No NUL anywhere (DRF's own rule) and, where blank is not allowed, one character that is not a space
# or a control character: text made only of those is blank once trimmed or put on one line. Where
# blank is allowed, drf-spectacular offers "" beside the pattern as one of two alternatives, so the
# pattern itself must not match "".
NO_NUL = r"^[^\x00]+$"
VISIBLE = r"^[^\x00]*[^\s\x00-\x1f\x7f-\x9f][^\x00]*$"
_VISIBLE = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# No lookahead: a generator builds strings for a pattern, and most cannot build one from a lookahead.
EMAIL = rf"^\s*{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z](?:[A-Za-z-]{{0,61}}[A-Za-z])\s*$"
_EMAIL = re.compile(EMAIL)


class CharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        if isinstance(value, str) and value and not self.allow_blank and not _VISIBLE.search(value):
            self.fail("blank")
        return value


class EmailField(CharField, serializers.EmailField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, EmailValidator)]
        self.validators.append(self._email)

    def _email(self, value: str) -> None:
        if not _EMAIL.fullmatch(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        EmailValidator(message=self.error_messages["invalid"])(value)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        if not isinstance(value, str) or not _RFC3339.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss[.uuuuuu]Z or ±hh:mm")
        return super().to_internal_value(value)


class AmountField(serializers.DecimalField):
    """A sum of money, never negative: as text, digits with up to ``decimal_places`` after a point."""

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        whole = max_digits - decimal_places
        self.pattern = rf"^[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{decimal_places}}})?$"

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(self.pattern, data):
            self.fail("invalid")
        return super().to_internal_value(data)


class AmountFieldScheme(OpenApiSerializerFieldExtension):
    target_class = AmountField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = self.target.pattern
        return schema


class TextFieldScheme(OpenApiSerializerFieldExtension):
    """The pattern of a text field of a request: no NUL, and a visible character unless it may be blank."""

    target_class = CharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and isinstance(self.target, EmailField):
            schema.pop("format", None)
            schema["pattern"] = EMAIL
        elif direction == "request" and "pattern" not in schema:
            schema["pattern"] = NO_NUL if self.target.allow_blank else VISIBLE
        return schema


class AnswerSerializer(serializers.Serializer):
    """A serializer of an answer whose fields are built once for its class, not for every answer.

    DRF deep-copies a serializer's declared fields for each instance: a tenth of a serial check's time.
    Writing an object out needs no state of its own, so these fields are bound once, to a serializer of
    their own, and shared by every answer in every thread. That holds for fields that write a value
    from the object alone (``_SHAREABLE``, checked when the fields are built): none that reads the
    context, such as a method, related, hyperlinked or file field. No input (``data=`` is refused), and
    an instance must never change its fields (``self.fields.pop`` would change every answer's).
    """

    def __init__(self, instance=None, **kwargs):
        if "data" in kwargs:
            raise TypeError(f"{type(self).__name__} writes answers out: it takes no data.")
        super().__init__(instance, **kwargs)

    @property
    def fields(self):
        cls = type(self)
        if cls not in _SHARED_FIELDS:  # two threads may both build them: either is the same
            fields = super(AnswerSerializer, cls()).fields
            for field in _within(fields.values()):
                if not isinstance(field, _SHAREABLE):
                    raise TypeError(
                        f"{cls.__name__}: {field.field_name!r} ({type(field).__name__}) may read the "
                        "context: it cannot be shared."
                    )
            _SHARED_FIELDS[cls] = fields
        return _SHARED_FIELDS[cls]


_SHARED_FIELDS: dict[type, Any] = {}
# Fields that write a value from the object alone: no request, view or other object.
_SHAREABLE = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.DateTimeField,
    serializers.DateField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
    serializers.ListField,
    serializers.DictField,
    serializers.JSONField,
    serializers.ReadOnlyField,
    serializers.ListSerializer,
    serializers.Serializer,
)


def _within(fields):
    """The fields and every field nested in them."""
    for field in fields:
        yield field
        if isinstance(field, serializers.Serializer):
            yield from _within(field.fields.values())
        elif getattr(field, "child", None) is not None:
            yield from _within([field.child])
