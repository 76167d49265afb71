import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core import serializers as strict
from recalls.countries import country_codes

from .models import DisposalConfirmation, FacilityCertification, RecyclingFacility


class DisposalCreateInputSerializer(serializers.Serializer):
    """A unit the facility took back."""

    claim_reference = strict.CharField(
        max_length=16, help_text="The claim's reference, from the customer's voucher, e.g. RC-7K3F9QX2."
    )
    serial = strict.CharField(
        max_length=64, help_text="The serial read on the unit itself; spaces, dashes and case do not matter."
    )
    condition = serializers.ChoiceField(
        choices=DisposalConfirmation.Condition.choices, help_text="The unit's state when it was handed in."
    )
    received_at = strict.DateTimeField(
        required=False,
        help_text="When it was handed in (RFC 3339, with its offset); now if left out. Not in the future.",
    )


class DisposalSerializer(serializers.ModelSerializer):
    """A facility's confirmation that it took a claim's unit back."""

    claim_reference = serializers.CharField(source="claim.reference", help_text="The claim's reference.")
    serial = serializers.CharField(
        source="serial_observed", help_text="The serial read on the unit, normalised."
    )

    class Meta:
        model = DisposalConfirmation
        fields = ["claim_reference", "serial", "condition", "received_at", "created_at"]
        extra_kwargs = {
            "condition": {"help_text": "The unit's state when it was handed in."},
            "received_at": {"help_text": "When it was handed in."},
            "created_at": {"help_text": "When the confirmation was recorded."},
        }


class CertificationSerializer(serializers.ModelSerializer):
    """A certification the facility holds."""

    class Meta:
        model = FacilityCertification
        fields = ["scheme", "number", "expires_on"]
        extra_kwargs = {
            "number": {"help_text": "The certificate's number."},
            "expires_on": {"help_text": "The last day it is valid."},
        }


class FacilitySerializer(serializers.ModelSerializer):
    """A certified recycling centre that takes lithium-ion batteries back."""

    certifications = CertificationSerializer(many=True, help_text="Its certifications, latest expiry first.")
    distance_km = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Kilometres from the position or city asked for; null when none was given or its own "
        "position is unknown.",
    )

    class Meta:
        model = RecyclingFacility
        fields = [
            "id",
            "name",
            "address",
            "country",
            "latitude",
            "longitude",
            "distance_km",
            "certifications",
        ]
        extra_kwargs = {
            "id": {"help_text": "The facility's id."},
            "name": {"help_text": "The facility's name."},
            "address": {"help_text": "Where to hand the unit in."},
            "country": {"help_text": "An ISO 3166-1 alpha-2 code."},
            "latitude": {"help_text": "Decimal degrees (WGS 84); null when unknown."},
            "longitude": {"help_text": "Decimal degrees (WGS 84); null when unknown."},
        }


# A number as JSON and the schema write it: Python's float() also reads "1_0", " 1" and "infinity".
_DECIMAL_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class DegreesField(serializers.FloatField):
    """Decimal degrees, written as a number."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not _DECIMAL_NUMBER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class FacilityQuerySerializer(serializers.Serializer):
    """The facility finder's query. The schema states the same rules (``disposal.apis``)."""

    country = serializers.ChoiceField(choices=country_codes(), required=False)
    lat = DegreesField(min_value=-90, max_value=90, required=False)
    lon = DegreesField(min_value=-180, max_value=180, required=False)
    city = strict.CharField(max_length=100, required=False)

    def validate(self, attrs):
        if ("lat" in attrs) != ("lon" in attrs):
            raise serializers.ValidationError({"lat": ["Give lat and lon together."]})
        if "city" in attrs and "country" not in attrs:  # even where a position makes the city unused
            raise serializers.ValidationError({"city": [_("A city needs its country.")]})
        return attrs
