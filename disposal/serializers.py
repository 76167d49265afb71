from rest_framework import serializers

from .models import DisposalConfirmation, FacilityCertification, RecyclingFacility


class DisposalCreateInputSerializer(serializers.Serializer):
    claim_reference = serializers.CharField(max_length=16)
    serial = serializers.CharField(max_length=64)
    condition = serializers.ChoiceField(choices=DisposalConfirmation.Condition.choices)
    received_at = serializers.DateTimeField(required=False)


class DisposalSerializer(serializers.ModelSerializer):
    claim_reference = serializers.CharField(source="claim.reference")
    serial = serializers.CharField(source="serial_observed")

    class Meta:
        model = DisposalConfirmation
        fields = ["claim_reference", "serial", "condition", "received_at", "created_at"]


class CertificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = FacilityCertification
        fields = ["scheme", "number", "expires_on"]


class FacilitySerializer(serializers.ModelSerializer):
    certifications = CertificationSerializer(many=True)
    distance_km = serializers.FloatField(required=False, allow_null=True, default=None)

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


class FacilityQuerySerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, min_length=2, required=False)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False)
    city = serializers.CharField(max_length=100, required=False)

    def validate(self, attrs):
        if ("lat" in attrs) != ("lon" in attrs):
            raise serializers.ValidationError({"lat": ["Give lat and lon together."]})
        return attrs
