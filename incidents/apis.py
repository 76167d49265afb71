from drf_spectacular.utils import OpenApiExample, OpenApiRequest, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.apis import INVALID_UPLOAD, UPLOAD_TYPES
from claims.models import Channel
from core.api import ANY_BODY, VALIDATION_ERROR, JSONParser, error_responses
from recalls.apis import INVALID_SERIAL

from .serializers import (
    IncidentCreatedSerializer,
    IncidentCreateInputSerializer,
    IncidentCreateJSONInputSerializer,
)
from .services import IncidentSubmission, incident_submit

INCIDENT_REFUSED = VALIDATION_ERROR.because(
    "A field is missing or invalid, or the report cannot be taken as given: an unknown model or country, "
    "a phone number that is none of the country's, a day in the future, a claim reference that is not "
    "one. `fields` names each field with what is wrong with it.",
    fields={"occurred_on": ["This date is in the future."]},
)
INCIDENT_EXAMPLE = {
    "model_number": "A1263",
    "serial": "AH23060000000042",
    "country": "US",
    "kind": "fire",
    "injury": False,
    "property_damage": True,
    "occurred_on": "2026-01-10",
    "description": "It caught fire on the desk while charging a phone; the desk top is burnt.",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "",
    "claim_reference": "",
}


class IncidentCreateApi(APIView):
    throttle_scope = "incidents"
    parser_classes = [JSONParser, MultiPartParser]  # a photo can only come as multipart

    @extend_schema(
        operation_id="incident_create",
        request={
            "application/json": IncidentCreateJSONInputSerializer,
            "multipart/form-data": OpenApiRequest(
                IncidentCreateInputSerializer, encoding={"photo": {"contentType": UPLOAD_TYPES}}
            ),
        },
        responses={
            201: IncidentCreatedSerializer,
            **error_responses(
                *ANY_BODY,
                INCIDENT_REFUSED,
                INVALID_SERIAL,
                INVALID_UPLOAD.because(
                    "The photo is not a readable JPEG, PNG or WebP image, is empty, over 15 MB or over 50 "
                    "megapixels, or would take more than the upload budget to decode.",
                    fields={"photo": ["Send a JPEG, PNG or WebP image."]},
                ),
            ),
        },
        summary="Report an incident: a unit that overheated, smoked, melted, burnt or exploded",
        description=(
            "Any unit of a model the programme knows, recalled or not, in any country: the safety team "
            "reads every report, and a fire, an explosion or an injury is reported to the market's "
            "regulator. Give the serial where it can be read, and the claim reference if the unit has a "
            "claim. A photo of the unit or of the damage comes as multipart. If it is still hot, smoking "
            "or swollen: keep away from it, and call the fire service if it burns."
        ),
        examples=[
            OpenApiExample("A fire while charging", value=INCIDENT_EXAMPLE, request_only=True),
            OpenApiExample(
                "Received",
                value={"reference": "IN-7K3F9QX2", "status": "received"},
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request):
        given = IncidentCreateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        incident = incident_submit(
            submission=IncidentSubmission(
                **given.validated_data, channel=Channel.API, language=request.LANGUAGE_CODE
            )
        )
        return Response(
            IncidentCreatedSerializer({"reference": incident.reference, "status": incident.status}).data,
            status=status.HTTP_201_CREATED,
        )
