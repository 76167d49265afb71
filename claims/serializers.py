from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import serializers as strict
from core.serializers import AnswerSerializer
from recalls.models import Remedy

from .models import Claim, ClaimEvent, ClaimStatus, UnitCondition
from .selectors import claim_disposal_status, claim_fulfilment, claim_public_events, claim_return_kit


class ClaimCreateInputSerializer(serializers.Serializer):
    """A claim: the unit, the remedy chosen and where to reach the customer, with its files."""

    model_number = strict.CharField(
        max_length=32, help_text="The model number on the unit's label, e.g. A1263; case does not matter."
    )
    serial = strict.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="The serial number on the unit's label, as typed: spaces, dashes and case do not matter, "
        "O is read as 0 and I as 1. Empty or left out when a `proof_of_purchase` is attached instead.",
    )
    country = strict.CharField(
        max_length=8,
        help_text="Where the customer lives: an ISO 3166-1 alpha-2 code, e.g. US; case does not matter.",
    )
    remedy = serializers.ChoiceField(
        choices=Remedy.choices,
        help_text="The remedy chosen, one of those the recall offers in that country (`GET /api/v1/recalls/`).",
    )
    name = strict.CharField(max_length=200, help_text="The customer's full name.")
    email = strict.EmailField(max_length=254, help_text="Where the programme writes about the claim.")
    phone = strict.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional. A number of the customer's country, or in international form (+49 ...).",
    )
    address_line1 = strict.CharField(max_length=200, help_text="Street and house number.")
    address_line2 = strict.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional: a second line of the address.",
    )
    city = strict.CharField(
        max_length=100, help_text="The customer's city: the e-mails name the certified centres nearest it."
    )
    postal_code = strict.CharField(max_length=20, help_text="The postal code of the address.")
    region = strict.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The state (US), prefecture (JP) or province, by its code or name; optional here, "
        "asked for by the claim page where the market's addresses have one.",
    )
    unit_condition = serializers.ChoiceField(
        choices=UnitCondition.choices,
        required=False,
        default=UnitCondition.INTACT,
        help_text="The unit as the customer sees it: `intact`, `damaged` or `swollen`. A damaged or swollen "
        "unit must not be carried to a centre: where the market sends return kits by mail "
        "(`return_by_mail`), one can be ordered for it.",
    )
    price_paid = strict.AmountField(
        max_digits=10,
        decimal_places=2,
        required=False,
        default=None,  # not stated; no null in the schema, as a multipart form has none
        help_text="What the customer paid for the unit, in the market's refund currency, as on the "
        "receipt: asked where the market offers a refund, which is at least the price paid. A price "
        "above the market's refund amount is confirmed by an agent from the proof of purchase.",
    )
    # Checked and re-encoded by the service; empty files are refused there as invalid_upload.
    proof_of_purchase = serializers.FileField(
        required=False,
        allow_empty_file=True,
        use_url=False,
        help_text="A receipt or invoice: a JPEG, PNG or WebP image or a PDF, up to 15 MB and 50 megapixels. "
        "Required when no serial is given.",
    )
    product_photo = serializers.FileField(
        required=False,
        allow_empty_file=True,
        use_url=False,
        help_text="A photo of the unit with RECALLED written on it, its label readable: required where the "
        "market's `product_photo_required` says so. The same file types and limits.",
    )


class ClaimCreateJSONInputSerializer(ClaimCreateInputSerializer):
    """A claim as JSON: the same fields without the files, which JSON cannot carry. A claim with a
    proof of purchase or a photo is sent as ``multipart/form-data``."""

    proof_of_purchase = None
    product_photo = None


class ClaimEventSerializer(serializers.ModelSerializer):
    """One step of the claim's timeline."""

    note = serializers.CharField(
        source="display_note",
        read_only=True,
        help_text="What happened, in the request's language where the system wrote it; a message from "
        "the support team as written.",
    )

    class Meta:
        model = ClaimEvent
        fields = ["kind", "old_status", "new_status", "actor_kind", "note", "created_at"]
        extra_kwargs = {
            "kind": {"help_text": "What happened."},
            "old_status": {"help_text": "The status before; empty when the status did not change."},
            "new_status": {"help_text": "The status after; empty when the status did not change."},
            "actor_kind": {"help_text": "Who did it."},
            "created_at": {"help_text": "When it happened."},
        }


class DisposalStatusSerializer(serializers.Serializer):
    """Whether a certified recycling centre has taken the unit back."""

    status = serializers.ChoiceField(
        choices=["pending", "confirmed"],
        help_text="`pending` until a certified recycling centre confirms it took the unit back.",
    )
    facility = serializers.CharField(allow_null=True, help_text="The centre's name; null while pending.")
    confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the centre received the unit; null while pending."
    )


class FulfilmentSerializer(serializers.Serializer):
    """Null until issued. Gift card: code, amount, currency; replacement: model_number,
    tracking_number; refund: amount, currency, status."""

    type = serializers.ChoiceField(choices=Remedy.choices, help_text="The remedy issued.")
    code = serializers.CharField(
        required=False, help_text="Gift card: its code, 16 characters shown as XXXX-XXXX-XXXX-XXXX."
    )
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        required=False,
        coerce_to_string=True,
        help_text="Gift card or refund: the amount, as a decimal string.",
    )
    currency = serializers.CharField(required=False, help_text="Gift card or refund: an ISO 4217 code.")
    model_number = serializers.CharField(required=False, help_text="Replacement: the model sent.")
    tracking_number = serializers.CharField(
        required=False, allow_null=True, help_text="Replacement: the parcel's tracking number, once shipped."
    )
    status = serializers.CharField(
        required=False, help_text="Replacement: its shipping status; refund: its payout status."
    )


class ReturnKitSerializer(serializers.Serializer):
    """The return kit ordered for the claim: a fire-safe bag and a box for posting the unit back."""

    status = serializers.ChoiceField(
        choices=["ordered", "shipped", "returned"],
        help_text="`ordered` until the kit provider sends it, `shipped` on its way to the customer, "
        "`returned` once a certified centre confirmed the unit.",
    )
    tracking_number = serializers.CharField(
        allow_null=True, help_text="The kit parcel's tracking number, once shipped."
    )
    ordered_at = serializers.DateTimeField(help_text="When the kit was ordered.")
    shipped_at = serializers.DateTimeField(allow_null=True, help_text="When the kit provider sent it.")
    returned_at = serializers.DateTimeField(allow_null=True, help_text="When the centre received the unit.")


class TermsSerializer(serializers.Serializer):
    """What the claim was approved on; its remedy is issued on these, whatever a market rule says later."""

    remedy = serializers.ChoiceField(
        choices=Remedy.choices, help_text="The remedy the claim is fulfilled with."
    )
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        coerce_to_string=True,
        help_text="Gift card or refund: the amount, as a decimal string; null for a replacement.",
    )
    currency = serializers.CharField(allow_null=True, help_text="Gift card or refund: an ISO 4217 code.")
    replacement_model = serializers.CharField(
        allow_null=True, help_text="Replacement: the model number sent (may be a better model)."
    )


STATUS_HELP = (
    "Where the claim stands: `needs_review` until an agent decides (or `approved` at once); `approved` "
    "goes on to `awaiting_disposal` where the market wants the unit disposed of first, or `fulfilling`; "
    "then `fulfilled`. `rejected`, `fulfilled` and `cancelled` are final."
)


class ClaimSerializer(serializers.ModelSerializer):
    """A claim as its customer sees it."""

    recall = serializers.CharField(source="recall.code", help_text="The code of the recall it is under.")
    model_number = serializers.CharField(source="model.model_number", help_text="The unit's model.")
    status = serializers.ChoiceField(choices=ClaimStatus.choices, help_text=STATUS_HELP)
    remedy = serializers.ChoiceField(choices=Remedy.choices, help_text="The remedy the customer chose.")
    events = serializers.SerializerMethodField(help_text="The claim's timeline, oldest first.")
    disposal = serializers.SerializerMethodField(
        help_text="Whether a certified recycling centre has taken the unit back."
    )
    fulfilment = serializers.SerializerMethodField(
        help_text="What the customer received: null until the remedy is issued."
    )
    terms = TermsSerializer(
        allow_null=True, read_only=True, help_text="What the claim was approved on: null until approved."
    )
    return_kit = serializers.SerializerMethodField(
        help_text="The return kit ordered by mail: null when none was ordered."
    )

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
            "return_kit",
        ]
        extra_kwargs = {
            "reference": {"help_text": "The claim's reference, e.g. RC-7K3F9QX2."},
            "serial": {
                "help_text": "The serial, normalised; empty for a claim with a proof of purchase only."
            },
            "country": {"help_text": "Where the customer lives: an ISO 3166-1 alpha-2 code."},
            "created_at": {"help_text": "When the claim was submitted."},
            "updated_at": {"help_text": "When the claim last changed."},
        }

    @extend_schema_field(ClaimEventSerializer(many=True))
    def get_events(self, claim: Claim) -> list[dict]:
        return ClaimEventSerializer(claim_public_events(claim=claim), many=True).data

    @extend_schema_field(DisposalStatusSerializer)
    def get_disposal(self, claim: Claim) -> dict:
        return DisposalStatusSerializer(claim_disposal_status(claim=claim)).data

    @extend_schema_field(FulfilmentSerializer(allow_null=True))
    def get_fulfilment(self, claim: Claim) -> dict | None:
        return claim_fulfilment(claim=claim)

    @extend_schema_field(ReturnKitSerializer(allow_null=True))
    def get_return_kit(self, claim: Claim) -> dict | None:
        kit = claim_return_kit(claim=claim)
        return ReturnKitSerializer(kit).data if kit is not None else None


class ClaimCreatedSerializer(AnswerSerializer):
    """The claim just submitted, with the token that opens it."""

    reference = serializers.CharField(
        source="claim.reference", help_text="The claim's reference, e.g. RC-7K3F9QX2: give it in any contact."
    )
    access_token = serializers.CharField(
        help_text="Shown once: keep it to follow the claim (`Authorization: Bearer <access_token>`)."
    )
    status = serializers.ChoiceField(
        choices=ClaimStatus.choices, source="claim.status", help_text=STATUS_HELP
    )
    remedy = serializers.ChoiceField(
        choices=Remedy.choices, source="claim.remedy", help_text="The remedy the customer chose."
    )
    recall = serializers.CharField(source="recall_code", help_text="The code of the recall it is under.")
    model_number = serializers.CharField(source="claim.model.model_number", help_text="The unit's model.")
    serial = serializers.CharField(
        source="claim.serial",
        help_text="The serial, normalised; empty for a claim with a proof of purchase only.",
    )
    country = serializers.CharField(
        source="claim.country", help_text="Where the customer lives: an ISO 3166-1 alpha-2 code."
    )
    created_at = serializers.DateTimeField(
        source="claim.created_at", help_text="When the claim was submitted."
    )


class DetailSerializer(serializers.Serializer):
    """A message for a person to read."""

    detail = serializers.CharField(help_text="What happens now, for a person to read.")
