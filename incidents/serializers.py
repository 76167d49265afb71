import re

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import serializers as strict

from .models import Incident, IncidentStatus

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StrictDateField(serializers.DateField):
    """A date as ``format: date`` says, YYYY-MM-DD (Python also reads 20250101 and 2025-W01-1)."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


@extend_schema_field({"type": "boolean"})
class StrictBooleanField(serializers.BooleanField):
    """true or false: a JSON boolean, or in a multipart form the words ``true`` and ``false`` (DRF also
    takes 1, "yes", "on", ...)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(self.root.initial_data, QueryDict) and isinstance(data, str):
            word = data.strip().lower()
            if word in ("true", "false"):
                return word == "true"
        self.fail("invalid", input=data)


class IncidentCreateInputSerializer(serializers.Serializer):
    """A report of a unit that overheated, smoked, melted, burnt or exploded, with a photo."""

    model_number = strict.CharField(
        max_length=32, help_text="The model number on the unit's label, e.g. A1263; case does not matter."
    )
    serial = strict.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional: the serial number on the unit's label, as typed (spaces, dashes and case do "
        "not matter, O is read as 0 and I as 1).",
    )
    country = strict.CharField(
        max_length=8,
        help_text="Where it happened: an ISO 3166-1 alpha-2 code, e.g. US; case does not matter.",
    )
    kind = serializers.ChoiceField(choices=Incident.Kind.choices, help_text="What the unit did.")
    injury = StrictBooleanField(help_text="Whether someone was hurt.")
    property_damage = StrictBooleanField(help_text="Whether anything around the unit was damaged.")
    occurred_on = StrictDateField(help_text="The day it happened (YYYY-MM-DD), not in the future.")
    description = strict.CharField(max_length=5000, help_text="What happened, in the reporter's words.")
    name = strict.CharField(max_length=200, help_text="The reporter's full name.")
    email = strict.EmailField(max_length=254, help_text="Where the programme can reach the reporter.")
    phone = strict.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional. A number of the country, or in international form (+49 ...).",
    )
    claim_reference = serializers.RegexField(
        # Crockford's base32 in either case, and I, L and O, which are read as 1, 1 and 0.
        r"^\s*[Rr][Cc]-[0-9A-TV-Za-tv-z]{8}\s*$",
        max_length=16,
        trim_whitespace=False,  # measured as sent, as the schema's maxLength is
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional: the reference of the reporter's claim for this unit, e.g. RC-7K3F9QX2.",
    )
    photo = serializers.FileField(
        required=False,
        allow_empty_file=True,
        use_url=False,
        help_text="Optional: a photo of the unit or of the damage, a JPEG, PNG or WebP image of up to 15 MB "
        "and 50 megapixels; stored privately, without its metadata.",
    )


class IncidentCreateJSONInputSerializer(IncidentCreateInputSerializer):
    """A report as JSON: the same fields without the photo, which JSON cannot carry. A report with a
    photo is sent as ``multipart/form-data``."""

    photo = None


class IncidentCreatedSerializer(serializers.Serializer):
    """The report just received."""

    reference = serializers.CharField(
        help_text="The report's reference, e.g. IN-7K3F9QX2: give it in any contact."
    )
    status = serializers.ChoiceField(
        choices=[IncidentStatus.RECEIVED.value],
        help_text="`received`: the programme's safety team reads every report.",
    )
