from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_responses

from .selectors import recall_list_active
from .serializers import RecallSerializer, SerialCheckInputSerializer, SerialCheckOutputSerializer
from .services import serial_check


@extend_schema(responses={200: RecallSerializer(many=True), **error_responses(400, 404, 429)})
class RecallListApi(generics.ListAPIView):
    """Active recalls with their models and what each market offers."""

    serializer_class = RecallSerializer
    throttle_scope = "public"

    def get_queryset(self):
        return recall_list_active()


class SerialCheckApi(APIView):
    throttle_scope = "serial_checks"

    @extend_schema(
        request=SerialCheckInputSerializer,
        responses={200: SerialCheckOutputSerializer, **error_responses(400, 415, 429)},
        summary="Is this unit recalled in this country?",
    )
    def post(self, request):
        given = SerialCheckInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        result = serial_check(**given.validated_data)
        return Response(SerialCheckOutputSerializer(result).data)
