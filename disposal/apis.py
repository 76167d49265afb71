from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from core.api import error_responses
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


class DisposalApi(generics.ListAPIView):
    """Recycling centres confirm that they took a recalled unit back."""

    authentication_classes = [FacilityTokenAuthentication]
    permission_classes = [IsFacility]
    throttle_scope = "partner"
    serializer_class = DisposalSerializer

    def get_queryset(self):
        return disposal_list_for_facility(facility=self.request.user)

    @extend_schema(responses={200: DisposalSerializer(many=True), **error_responses(400, 401, 403, 404, 429)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DisposalCreateInputSerializer,
        responses={
            201: DisposalSerializer,
            200: DisposalSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, 422, 429),
        },
        summary="Confirm a recalled unit was handed in and disposed of",
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
        parameters=[
            OpenApiParameter(
                "country",
                str,
                enum=country_codes(),
                description="Only the facilities in this country: its ISO 3166-1 alpha-2 code, in capitals.",
            ),
            # lat needs lon: OpenAPI relates no two parameters, but an object parameter exploded into the
            # query (?lat=52.52&lon=13.40) states both of its properties as required.
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
                    "those without a position last. `lat` without `lon` (or `lon` without `lat`) is "
                    "400 `validation_error`."
                ),
                examples=[OpenApiExample("Berlin", value={"lat": 52.52, "lon": 13.405})],
            ),
            OpenApiParameter(
                "city",
                str,
                description="A city in `country` (placed with an offline gazetteer, in any of its usual "
                "spellings): nearest first, each with its `distance_km`. Ignored when `lat` and `lon` are "
                "given; a city the gazetteer cannot place, or a city without `country`, is 400 "
                "`validation_error` on `city`.",
            ),
        ],
        responses={200: FacilitySerializer(many=True), **error_responses(400, 404, 429)},
        summary="Certified recycling centres that accept lithium-ion batteries",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
