from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from claims.apis import CLAIM_EXAMPLE_BODY, REFERENCE, ClaimTokenApi, claim_for_request
from claims.apis import CLAIM_NOT_FOUND as CLAIM_NOT_FOUND_FOR_TOKEN
from claims.serializers import ClaimSerializer
from core.api import ANY_BODY, NOT_AUTHENTICATED, NOT_FOUND, VALIDATION_ERROR, ErrorCode, error_responses
from core.pagination import PAGE_ERRORS
from recalls.apis import INVALID_SERIAL
from recalls.countries import country_codes

from .authentication import FacilityTokenAuthentication, IsFacility
from .selectors import disposal_list_for_facility, facility_list_public
from .serializers import (
    DisposalCreateInputSerializer,
    DisposalSerializer,
    FacilityQuerySerializer,
    FacilitySerializer,
)
from .services import disposal_confirm, return_kit_order

FACILITY_TOKEN_REFUSED = NOT_AUTHENTICATED.because(
    "No `Authorization: Token <facility token>` header, or a token that is no facility's.",
    "Invalid facility token.",
)
FACILITY_NOT_CERTIFIED = ErrorCode(
    "facility_not_certified",
    403,
    "The facility is inactive, does not take lithium-ion batteries, or its certification has expired.",
    "This facility is inactive, does not take lithium-ion, or its certification has expired.",
)
CLAIM_NOT_FOUND = NOT_FOUND.because("No claim has this reference.", "No claim with this reference.")
ALREADY_DISPOSED = ErrorCode(
    "already_disposed",
    409,
    "Another facility has confirmed this unit's disposal. Answered before the serial is compared, so a "
    "facility cannot test serials against another's record.",
    "Another facility has confirmed this unit's disposal.",
)
SERIAL_MISMATCH = ErrorCode(
    "serial_mismatch",
    422,
    "The unit's serial is not the claim's (a proof-only claim records the serial observed instead).",
    "The unit's serial number is not the claim's.",
    {"serial": ["The claim is for another unit of model A1263."]},
)
DISPOSAL_EXAMPLE = {
    "claim_reference": "RC-7K3F9QX2",
    "serial": "AH23060000000042",
    "condition": "intact",
    "received_at": "2026-01-14T10:05:00Z",
}


class DisposalApi(generics.ListAPIView):
    """Recycling centres confirm that they took a recalled unit back."""

    authentication_classes = [FacilityTokenAuthentication]
    permission_classes = [IsFacility]
    throttle_scope = "partner"
    serializer_class = DisposalSerializer

    def get_queryset(self):
        return disposal_list_for_facility(facility=self.request.user)

    @extend_schema(
        operation_id="partner_disposals_list",
        responses={
            200: DisposalSerializer(many=True),
            **error_responses(*PAGE_ERRORS, FACILITY_TOKEN_REFUSED),
        },
        summary="This facility's disposal confirmations",
        description="The confirmations this facility has made, newest first, paginated.",
        examples=[
            OpenApiExample(
                "One confirmation",
                response_only=True,
                value={**DISPOSAL_EXAMPLE, "created_at": "2026-01-14T10:06:12Z"},  # put on a page
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="partner_disposal_confirm",
        request=DisposalCreateInputSerializer,
        responses={
            201: OpenApiResponse(DisposalSerializer, description="The confirmation, recorded."),
            200: OpenApiResponse(
                DisposalSerializer,
                description="This facility had confirmed this claim already: its first record, unchanged.",
            ),
            **error_responses(
                *ANY_BODY,
                INVALID_SERIAL,
                FACILITY_TOKEN_REFUSED,
                FACILITY_NOT_CERTIFIED,
                CLAIM_NOT_FOUND,
                ALREADY_DISPOSED,
                SERIAL_MISMATCH,
            ),
        },
        summary="Confirm a recalled unit was handed in and disposed of",
        description=(
            "A certified recycling centre records that it took back the claim's unit. A unit is accepted "
            "whatever its claim's status (a dangerous unit taken back is always recorded); a claim "
            "`awaiting_disposal` moves on to its remedy. A confirmation from a facility in another "
            "country than the claim's is recorded and the claim is held for an agent. `received_at` "
            "defaults to now and may not be in the future."
        ),
        examples=[
            OpenApiExample("An intact unit", value=DISPOSAL_EXAMPLE, request_only=True),
            OpenApiExample(
                "Recorded",
                value={**DISPOSAL_EXAMPLE, "created_at": "2026-01-14T10:06:12Z"},
                response_only=True,
                status_codes=[200, 201],
            ),
        ],
    )
    def post(self, request):
        given = DisposalCreateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        result = disposal_confirm(facility=request.user, **given.validated_data)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(DisposalSerializer(result.confirmation).data, status=code)


class FacilityListApi(generics.ListAPIView):
    throttle_scope = "public"
    serializer_class = FacilitySerializer

    def get_queryset(self):
        # A plain dict: DRF reads an empty value in a QueryDict as a form's blank field, left out.
        query = FacilityQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        return facility_list_public(**query.validated_data)

    @extend_schema(
        operation_id="facilities_list",
        # OpenAPI relates no two parameters, so each pair that goes together is one object parameter
        # exploded into the query (?country=DE&city=Berlin, ?lat=52.52&lon=13.40) whose schema says
        # which of its properties are required.
        parameters=[
            OpenApiParameter(
                "place",
                {
                    "type": "object",
                    "properties": {
                        "country": {
                            "type": "string",
                            "enum": country_codes(),
                            "description": "ISO 3166-1 alpha-2 code, in capitals: the facilities in it only.",
                        },
                        "city": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 100,
                            "description": "A city in `country`, in any of its usual spellings: nearest first.",
                        },
                    },
                    "required": ["country"],
                },
                style="form",
                explode=True,
                description=(
                    "Where the customer is, sent as `country` and, optionally, `city`: "
                    "`?country=DE&city=Berlin`. A city is placed with an offline gazetteer (never a network "
                    "call); the nearest facilities then come first, each with its `distance_km`. A city "
                    "without `country`, or one the gazetteer cannot place, is 400 `validation_error` on "
                    "`city`; a position, if also given, is used instead of the city."
                ),
                examples=[OpenApiExample("Berlin", value={"country": "DE", "city": "Berlin"})],
            ),
            OpenApiParameter(
                "position",
                {
                    "type": "object",
                    "properties": {
                        "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude"},
                        "lon": {
                            "type": "number",
                            "minimum": -180,
                            "maximum": 180,
                            "description": "Longitude",
                        },
                    },
                    "required": ["lat", "lon"],
                },
                style="form",
                explode=True,
                description=(
                    "Where to look from, sent as `lat` and `lon` (decimal degrees, WGS 84): "
                    "`?lat=52.52&lon=13.40`. The nearest facilities come first, each with its `distance_km`; "
                    "those without a position last. `lat` without `lon`, or `lon` without `lat`, is 400 "
                    "`validation_error`."
                ),
                examples=[OpenApiExample("Berlin", value={"lat": 52.52, "lon": 13.405})],
            ),
        ],
        responses={
            200: FacilitySerializer(many=True),
            **error_responses(
                VALIDATION_ERROR.because(
                    "`country` is none of the codes listed; `city` is given without `country`, or the "
                    "gazetteer cannot place it; `lat` or `lon` is no number in its range, or one is given "
                    "without the other; `page` is not a whole number from 1.",
                    fields={"city": ["No city called Atlantis is known in DE."]},
                ),
                PAGE_ERRORS[1],
            ),
        },
        summary="Certified recycling centres that accept lithium-ion batteries",
        description=(
            "The active facilities whose certification is valid and that accept lithium-ion batteries, "
            "where a recalled unit can be handed in (never household trash or a shop's battery box). "
            "By name, or nearest first from a city or a position."
        ),
        examples=[
            OpenApiExample(
                "Near Berlin",
                response_only=True,
                value={  # put on a page
                    "id": 2,
                    "name": "Wertstoffhof Berlin-Mitte",
                    "address": "Beispielstraße 1, 10115 Berlin",
                    "country": "DE",
                    "latitude": 52.5321,
                    "longitude": 13.3849,
                    "distance_km": 1.9,
                    "certifications": [
                        {"scheme": "GRS Batterien", "number": "GRS-0002", "expires_on": "2028-06-30"}
                    ],
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


RETURN_KIT_NOT_OFFERED = ErrorCode(
    "return_kit_not_offered",
    409,
    "The claim's market sends no return kits (`return_by_mail`), or a certified centre lies within "
    "`RETURN_KIT_RADIUS_KM` of the customer's city and the unit is intact, or the claim is not one a kit "
    "is sent for (in review, rejected, cancelled, or its unit handed in already).",
    "No return kit is offered for this claim: take the unit to a certified recycling centre near you.",
)
RETURN_KIT_ORDERED_EXAMPLE = {
    **CLAIM_EXAMPLE_BODY,
    "return_kit": {
        "status": "ordered",
        "tracking_number": None,
        "ordered_at": "2026-01-12T09:35:00Z",
        "shipped_at": None,
        "returned_at": None,
    },
}


class ReturnKitApi(ClaimTokenApi):
    """The customer orders a return kit to post the unit back in."""

    throttle_scope = "claims"

    @extend_schema(
        operation_id="claim_return_kit_order",
        request=None,
        parameters=[REFERENCE],
        responses={
            201: ClaimSerializer,
            200: ClaimSerializer,
            **error_responses(CLAIM_NOT_FOUND_FOR_TOKEN, RETURN_KIT_NOT_OFFERED),
        },
        summary="Order a return kit by mail",
        description=(
            "Where the claim's market sends return kits by mail (`return_by_mail`) and either no certified "
            "recycling centre lies within `RETURN_KIT_RADIUS_KM` (50 km by default) of the customer's city "
            "or the unit is damaged or swollen, the kit provider sends a fire-safe bag and a box labelled "
            "for ground transport of a damaged lithium-ion battery (UN3480), with a return label to a "
            "certified centre. 201 with the claim and its `return_kit`; 200 with the same kit when one was "
            "ordered already. The centre confirms the unit as any other, which marks the kit `returned`."
        ),
        examples=[
            OpenApiExample(
                "Ordered", value=RETURN_KIT_ORDERED_EXAMPLE, response_only=True, status_codes=[201, 200]
            )
        ],
    )
    def post(self, request, reference: str):
        claim = claim_for_request(request, reference)
        _kit, created = return_kit_order(claim=claim)
        return Response(
            ClaimSerializer(claim).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
