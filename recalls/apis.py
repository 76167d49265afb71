from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ANY_BODY, VALIDATION_ERROR, ErrorCode, error_responses
from core.pagination import PAGE_ERRORS

from .selectors import recall_list_active
from .serializers import RecallSerializer, SerialCheckInputSerializer, SerialCheckOutputSerializer
from .services import serial_check

INVALID_SERIAL = ErrorCode(
    "invalid_serial",
    400,
    "The serial cannot be one of this model's: its length or its characters do not fit the model's "
    "serial numbers.",
    "This cannot be a serial number of model A1263.",
    {"serial": ["Check the serial number on the unit's label."]},
)
UNKNOWN_MODEL_OR_COUNTRY = VALIDATION_ERROR.because(
    "A field is missing or invalid, the model number is none of the programme's models, or the "
    "country is no ISO 3166-1 alpha-2 code. `fields` names each field with what is wrong with it.",
    fields={"model_number": ["Unknown model number 'A9999'."]},
)


class RecallListApi(generics.ListAPIView):
    """Active recalls with their models and what each market offers."""

    serializer_class = RecallSerializer
    throttle_scope = "public"

    def get_queryset(self):
        return recall_list_active()

    @extend_schema(
        operation_id="recalls_list",
        summary="Active recalls",
        description=(
            "The recalls that are running, each with the models it covers and, per market, the remedies "
            "offered and their terms. A market's rules say what a claim there needs (a photo of the unit "
            "marked RECALLED) and whether the remedy waits for the unit's disposal."
        ),
        responses={200: RecallSerializer(many=True), **error_responses(*PAGE_ERRORS)},
        examples=[
            OpenApiExample(
                "A recall in two markets",
                response_only=True,
                value={  # put on a page
                    "code": "ANKER-2025-06-A1263",
                    "title": "Anker PowerCore 10000 (A1263) power bank recall",
                    "hazard": "Lithium-ion cells from one supplier may have a manufacturing defect: the power bank "
                    "can overheat, melt, smoke or catch fire. Stop using it, and never put it in household trash, "
                    "recycling bins or shop battery boxes: hand it in at a certified recycling centre that "
                    "accepts lithium-ion batteries.",
                    "announced_on": "2025-06-12",
                    "claim_deadline": None,
                    "models": [{"model_number": "A1263", "name": "Anker PowerCore 10000"}],
                    "market_rules": [
                        {
                            "country": "DE",
                            "remedies": ["replacement", "refund"],
                            "gift_card_amount": None,
                            "gift_card_currency": "",
                            "refund_amount": "39.99",
                            "refund_currency": "EUR",
                            "replacement_model_number": None,
                            "disposal_before_remedy": True,
                            "product_photo_required": False,
                        },
                        {
                            "country": "US",
                            "remedies": ["replacement", "gift_card"],
                            "gift_card_amount": "40.00",
                            "gift_card_currency": "USD",
                            "refund_amount": None,
                            "refund_currency": "",
                            "replacement_model_number": None,
                            "disposal_before_remedy": False,
                            "product_photo_required": True,
                        },
                    ],
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SerialCheckApi(APIView):
    throttle_scope = "serial_checks"

    @extend_schema(
        operation_id="serial_check",
        request=SerialCheckInputSerializer,
        responses={
            200: SerialCheckOutputSerializer,
            **error_responses(*ANY_BODY, UNKNOWN_MODEL_OR_COUNTRY, INVALID_SERIAL),
        },
        summary="Is this unit recalled in this country?",
        description=(
            "Checks a unit's serial against the recalled batches of its model sold in the customer's "
            "country. The serial is read as customers type it: spaces and dashes are dropped, letters "
            "upper-cased, O read as 0 and I as 1. `recalled` stays true after the recall's claim "
            "deadline (the unit is still dangerous); `claims_open` says whether a claim can still be made."
        ),
        examples=[
            OpenApiExample(
                "A recalled unit",
                request_only=True,
                value={"model_number": "A1263", "serial": "AH2306 0000 0000 42", "country": "US"},
            ),
            OpenApiExample(
                "Recalled",
                response_only=True,
                value={
                    "recalled": True,
                    "recall": "ANKER-2025-06-A1263",
                    "model_number": "A1263",
                    "serial": "AH23060000000042",
                    "remedies": ["replacement", "gift_card"],
                    "claims_open": True,
                    "recalled_elsewhere": [],
                },
            ),
            OpenApiExample(
                "Not recalled",
                response_only=True,
                value={
                    "recalled": False,
                    "recall": None,
                    "model_number": "A1263",
                    "serial": "AH23070000000042",
                    "remedies": [],
                    "claims_open": False,
                    "recalled_elsewhere": [],
                },
            ),
            OpenApiExample(
                "Recalled in another country",
                response_only=True,
                value={
                    "recalled": False,
                    "recall": None,
                    "model_number": "A1263",
                    "serial": "AJ23100000000042",
                    "remedies": [],
                    "claims_open": False,
                    "recalled_elsewhere": [{"recall": "ANKER-2025-10-JP", "countries": ["JP"]}],
                },
            ),
        ],
    )
    def post(self, request):
        given = SerialCheckInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        result = serial_check(**given.validated_data)
        return Response(SerialCheckOutputSerializer(result).data)
