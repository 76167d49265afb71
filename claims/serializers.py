from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recalls.models import Remedy

from .models import Claim, ClaimEvent, ClaimStatus
from .selectors import claim_disposal_status, claim_fulfilment, claim_public_events


class ClaimCreateInputSerializer(serializers.Serializer):
    """A claim: the unit, the remedy chosen and where to reach the customer, with its files."""

    model_number = serializers.CharField(max_length=32)
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=8)
    remedy = serializers.ChoiceField(choices=Remedy.choices)
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    region = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The state (US), prefecture (JP) or province, by its code or name; optional here, "
        "asked for by the claim page where the market's addresses have one.",
    )
    # Checked and re-encoded by the service; empty files are refused there as invalid_upload.
    proof_of_purchase = serializers.FileField(required=False, allow_empty_file=True, use_url=False)
    product_photo = serializers.FileField(required=False, allow_empty_file=True, use_url=False)


class ClaimCreateJSONInputSerializer(ClaimCreateInputSerializer):
    """A claim as JSON: the same fields without the files, which JSON cannot carry. A claim with a
    proof of purchase or a photo is sent as ``multipart/form-data``."""

    proof_of_purchase = None
    product_photo = None


class ClaimEventSerializer(serializers.ModelSerializer):
    note = serializers.CharField(
        source="display_note",
        read_only=True,
        help_text="In the request's language where the system wrote it.",
    )

    class Meta:
        model = ClaimEvent
        fields = ["kind", "old_status", "new_status", "actor_kind", "note", "created_at"]


class DisposalStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["pending", "confirmed"])
    facility = serializers.CharField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)


class FulfilmentSerializer(serializers.Serializer):
    """Null until issued. Gift card: code, amount, currency; replacement: model_number,
    tracking_number; refund: amount, currency, status."""

    type = serializers.ChoiceField(choices=Remedy.choices)
    code = serializers.CharField(required=False)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, coerce_to_string=True)
    currency = serializers.CharField(required=False)
    model_number = serializers.CharField(required=False)
    tracking_number = serializers.CharField(required=False, allow_null=True)
    status = serializers.CharField(required=False)


class TermsSerializer(serializers.Serializer):
    """What the claim was approved on; its remedy is issued on these, whatever a market rule says later."""

    remedy = serializers.ChoiceField(choices=Remedy.choices)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True, coerce_to_string=True)
    currency = serializers.CharField(allow_null=True)
    replacement_model = serializers.CharField(allow_null=True)


class ClaimSerializer(serializers.ModelSerializer):
    recall = serializers.CharField(source="recall.code")
    model_number = serializers.CharField(source="model.model_number")
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    remedy = serializers.ChoiceField(choices=Remedy.choices)
    events = serializers.SerializerMethodField()
    disposal = serializers.SerializerMethodField()
    fulfilment = serializers.SerializerMethodField()
    terms = TermsSerializer(allow_null=True, read_only=True, help_text="Null until approved.")

    class Meta:
        model = Claim
        fields = [
            "reference",
            "status",
            "remedy",
            "recall",
            "model_number",
            "serial",
            "country",
            "created_at",
            "updated_at",
            "events",
            "disposal",
            "fulfilment",
            "terms",
        ]

    @extend_schema_field(ClaimEventSerializer(many=True))
    def get_events(self, claim: Claim) -> list[dict]:
        return ClaimEventSerializer(claim_public_events(claim=claim), many=True).data

    @extend_schema_field(DisposalStatusSerializer)
    def get_disposal(self, claim: Claim) -> dict:
        return DisposalStatusSerializer(claim_disposal_status(claim=claim)).data

    @extend_schema_field(FulfilmentSerializer(allow_null=True))
    def get_fulfilment(self, claim: Claim) -> dict | None:
        return claim_fulfilment(claim=claim)


class ClaimCreatedSerializer(serializers.Serializer):
    reference = serializers.CharField(source="claim.reference")
    access_token = serializers.CharField(help_text="Shown once: keep it to follow the claim.")
    status = serializers.ChoiceField(choices=ClaimStatus.choices, source="claim.status")
    remedy = serializers.ChoiceField(choices=Remedy.choices, source="claim.remedy")
    recall = serializers.CharField(source="claim.recall.code")
    model_number = serializers.CharField(source="claim.model.model_number")
    serial = serializers.CharField(source="claim.serial")
    country = serializers.CharField(source="claim.country")
    created_at = serializers.DateTimeField(source="claim.created_at")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
