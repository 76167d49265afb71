from rest_framework import serializers

from .models import MarketRule, ProductModel, Recall, Remedy


class ProductModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductModel
        fields = ["model_number", "name"]


class MarketRuleSerializer(serializers.ModelSerializer):
    remedies = serializers.ListField(child=serializers.ChoiceField(choices=Remedy.choices))
    replacement_model_number = serializers.CharField(
        source="replacement_model.model_number", default=None, allow_null=True
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


class RecallSerializer(serializers.ModelSerializer):
    models = ProductModelSerializer(many=True)
    market_rules = MarketRuleSerializer(many=True)

    class Meta:
        model = Recall
        fields = ["code", "title", "hazard", "announced_on", "claim_deadline", "models", "market_rules"]


class SerialCheckInputSerializer(serializers.Serializer):
    model_number = serializers.CharField(max_length=32)
    serial = serializers.CharField(max_length=64)
    country = serializers.CharField(max_length=8)


class RecalledElsewhereSerializer(serializers.Serializer):
    recall = serializers.CharField(help_text="The code of a recall that covers this unit in other countries.")
    countries = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166-1 alpha-2 codes.")


class SerialCheckOutputSerializer(serializers.Serializer):
    recalled = serializers.BooleanField()
    recall = serializers.CharField(source="recall.code", allow_null=True, default=None)
    model_number = serializers.CharField(source="model.model_number")
    serial = serializers.CharField()
    remedies = serializers.ListField(child=serializers.ChoiceField(choices=Remedy.choices))
    claims_open = serializers.BooleanField(
        help_text="False once the recall's claim deadline has passed: the unit is still dangerous."
    )
    recalled_elsewhere = RecalledElsewhereSerializer(
        many=True,
        help_text="Recalls covering this unit in other countries when it is not recalled in the country "
        "asked: it is one of the recalled units all the same, and should not be used.",
    )
