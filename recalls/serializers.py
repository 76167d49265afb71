from rest_framework import serializers

from core import serializers as strict
from core.serializers import AnswerSerializer

from .models import MarketRule, ProductModel, Recall, Remedy


class ProductModelSerializer(serializers.ModelSerializer):
    """A product model the recall covers."""

    class Meta:
        model = ProductModel
        fields = ["model_number", "name"]
        extra_kwargs = {"name": {"help_text": "The product's name."}}


class MarketRuleSerializer(serializers.ModelSerializer):
    """What the recall offers in one market, and what a claim there needs."""

    remedies = serializers.ListField(
        child=serializers.ChoiceField(choices=Remedy.choices),
        help_text="The remedies a customer in this market can choose.",
    )
    replacement_model_number = serializers.CharField(
        source="replacement_model.model_number",
        default=None,
        allow_null=True,
        help_text="The model sent as a replacement, which may be a better one; null: the same model.",
    )

    class Meta:
        model = MarketRule
        fields = [
            "country",
            "remedies",
            "gift_card_amount",
            "gift_card_currency",
            "refund_amount",
            "refund_currency",
            "replacement_model_number",
            "disposal_before_remedy",
            "product_photo_required",
        ]
        extra_kwargs = {
            "country": {"help_text": "The market: an ISO 3166-1 alpha-2 code."},
            "gift_card_amount": {
                "help_text": "The gift card's value, as a decimal string; null if none is offered."
            },
            "gift_card_currency": {"help_text": "The gift card's currency, an ISO 4217 code."},
            "refund_amount": {
                "help_text": "The refund's amount, as a decimal string; null if none is offered."
            },
            "refund_currency": {"help_text": "The refund's currency, an ISO 4217 code."},
        }


class RecallSerializer(serializers.ModelSerializer):
    """A running recall."""

    models = ProductModelSerializer(many=True, help_text="The models it covers.")
    market_rules = MarketRuleSerializer(many=True, help_text="What it offers in each market.")

    class Meta:
        model = Recall
        fields = ["code", "title", "hazard", "announced_on", "claim_deadline", "models", "market_rules"]
        extra_kwargs = {
            "code": {"help_text": "The recall's code, e.g. ANKER-2025-06-A1263."},
            "title": {"help_text": "Its title, in the request's language where translated."},
            "hazard": {"help_text": "What the danger is and what to do, in the request's language."},
            "announced_on": {"help_text": "The day it was announced."},
        }


class SerialCheckInputSerializer(serializers.Serializer):
    """A unit to check."""

    model_number = strict.CharField(
        max_length=32, help_text="The model number on the unit's label, e.g. A1263; case does not matter."
    )
    serial = strict.CharField(
        max_length=64,
        help_text="The serial number on the unit's label, as typed: spaces, dashes and case do not matter, "
        "O is read as 0 and I as 1.",
    )
    country = strict.CharField(
        max_length=8,
        help_text="Where the customer lives: an ISO 3166-1 alpha-2 code, e.g. US; case does not matter.",
    )


class RecalledElsewhereSerializer(serializers.Serializer):
    """A recall that covers the unit in other countries."""

    recall = serializers.CharField(help_text="The code of a recall that covers this unit in other countries.")
    countries = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166-1 alpha-2 codes.")


class SerialCheckOutputSerializer(AnswerSerializer):
    """Whether the unit is recalled in the country asked, and what a claim can ask for."""

    recalled = serializers.BooleanField(help_text="The unit is in a recalled batch sold in that country.")
    recall = serializers.CharField(
        source="recall.code",
        allow_null=True,
        default=None,
        help_text="The code of the recall that covers it there; null when it is not recalled there.",
    )
    model_number = serializers.CharField(
        source="model.model_number", help_text="The model, as the programme writes it."
    )
    serial = serializers.CharField(help_text="The serial, normalised: the form a claim records.")
    remedies = serializers.ListField(
        child=serializers.ChoiceField(choices=Remedy.choices),
        help_text="The remedies a claim can ask for in that country; empty when the unit is not recalled there.",
    )
    claims_open = serializers.BooleanField(
        help_text="False once the recall's claim deadline has passed: the unit is still dangerous."
    )
    recalled_elsewhere = RecalledElsewhereSerializer(
        many=True,
        help_text="Recalls covering this unit in other countries when it is not recalled in the country "
        "asked: it is one of the recalled units all the same, and should not be used.",
    )
