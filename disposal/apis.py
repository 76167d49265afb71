from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

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
from .services import disposal_confirm

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
