from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from core.api import error_responses
from recalls.services import country_require

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
        query = FacilityQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        if "country" in params:
            params["country"] = country_require(country=params["country"])
        return facility_list_public(**params)

    @extend_schema(
        parameters=[
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-2"),
            OpenApiParameter("lat", float, description="Latitude, with lon: nearest first"),
            OpenApiParameter("lon", float, description="Longitude, with lat"),
        ],
        responses={200: FacilitySerializer(many=True), **error_responses(400, 404, 429)},
        summary="Certified recycling centres that accept lithium-ion batteries",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
