from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core import serializers as strict
from core.api import ANY_BODY, NOT_FOUND, VALIDATION_ERROR, ErrorCode, JSONParser, error_responses
from core.idempotency import MAX_KEY_LENGTH, idempotent_replay, idempotent_response, request_fingerprint
from recalls.apis import INVALID_SERIAL

from .authentication import ClaimAccessTokenAuthentication, ClaimAccessTokenRequired
from .models import Channel
from .serializers import (
    ClaimCreatedSerializer,
    ClaimCreateInputSerializer,
    ClaimCreateJSONInputSerializer,
    ClaimSerializer,
    DetailSerializer,
)
from .services import (
    ClaimSubmission,
    claim_cancel,
    claim_create,
    claim_get_for_token,
    claim_prepare,
    claim_prepared_discard,
    claim_submit,
    status_links_request,
)
from .voucher import voucher_png

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any string you choose for this claim, e.g. a UUID. A retry with the same key and body within "
        "24 hours returns the first response (the same status and body, token included) and creates "
        "nothing; the same key with another body is 422 `idempotency_key_reused`."
    ),
)
FILE_FIELDS = ("proof_of_purchase", "product_photo")
UPLOAD_TYPES = "image/jpeg, image/png, image/webp, application/pdf"

CLAIM_REFUSED = VALIDATION_ERROR.because(
    "A field is missing or invalid; or the claim cannot be made as given: no serial and no proof of "
    "purchase, an unknown model or country, no active recall for the model in that country, a remedy "
    "that country is not offered, no `product_photo` where the market asks for one. `fields` names "
    "each field with what is wrong with it.",
    fields={"remedy": ["In Germany (DE) this recall offers: Replacement unit, Refund."]},
)
INVALID_UPLOAD = ErrorCode(
    "invalid_upload",
    400,
    "A file is not a readable JPEG, PNG or WebP image or PDF, is empty, over 15 MB or over 50 megapixels, "
    "or would take more than the upload budget to decode.",
    "An uploaded file was refused.",
    {"product_photo": ["Send a JPEG, PNG or WebP image, or a PDF."]},
)
DUPLICATE_SERIAL = ErrorCode(
    "duplicate_serial",
    409,
    "The serial has a claim that is neither rejected nor cancelled.",
    "A claim for this serial number is already open.",
    {"serial": ["This unit has already been claimed."]},
)
SERIAL_NOT_RECALLED = ErrorCode(
    "serial_not_recalled",
    422,
    "The serial is in no recalled batch for the country and no proof of purchase is attached.",
    "This serial number is not in a recalled batch for your country. If you believe your unit is "
    "affected, send a proof of purchase with your claim.",
    {"serial": ["Not in a recalled batch for this country."]},
)
CLAIM_WINDOW_CLOSED = ErrorCode(
    "claim_window_closed",
    422,
    "The recall's claim deadline has passed (the end of that day, UTC).",
    "Claims under this recall closed on Dec. 31, 2025. The unit is still dangerous: stop using it and take "
    "it to a certified recycling centre.",
)
IDEMPOTENCY_KEY_REUSED = ErrorCode(
    "idempotency_key_reused",
    422,
    "The `Idempotency-Key` was used within 24 hours with another body.",
    "This Idempotency-Key was used with another request body.",
)
CLAIM_NOT_FOUND = NOT_FOUND.because(
    "No claim has this reference, or the token is missing or not the claim's: a claim's existence is "
    "not disclosed.",
    "No claim with this reference and token.",
)
INVALID_TRANSITION = ErrorCode(
    "invalid_transition",
    409,
    "The claim can no longer be cancelled: its remedy is being issued, or it is rejected, fulfilled or "
    "cancelled already.",
    "A claim that is fulfilled cannot become cancelled.",
)

REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="The claim's reference, as answered when it was submitted, e.g. `RC-7K3F9QX2`.",
)
CLAIM_EXAMPLE = {
    "model_number": "A1263",
    "serial": "AH23060000000042",
    "country": "DE",
    "remedy": "refund",
    "name": "Erika Mustermann",
    "email": "erika@example.com",
    "phone": "",
    "address_line1": "Musterstraße 1",
    "address_line2": "",
    "city": "Berlin",
    "postal_code": "10115",
}
CLAIM_CREATED_EXAMPLE = {
    "reference": "RC-7K3F9QX2",
    "access_token": "D_Q44FxOItmor8ySCeQtJnkB2HSlYUp87O3UE8rmh9w",
    "status": "awaiting_disposal",
    "remedy": "refund",
    "recall": "ANKER-2025-06-A1263",
    "model_number": "A1263",
    "serial": "AH23060000000042",
    "country": "DE",
    "created_at": "2026-01-12T09:30:00Z",
}
CLAIM_EXAMPLE_BODY = {
    "reference": "RC-7K3F9QX2",
    "status": "awaiting_disposal",
    "remedy": "refund",
    "recall": "ANKER-2025-06-A1263",
    "model_number": "A1263",
    "serial": "AH23060000000042",
    "country": "DE",
    "created_at": "2026-01-12T09:30:00Z",
    "updated_at": "2026-01-12T09:30:00Z",
    "events": [
        {
            "kind": "submitted",
            "old_status": "",
            "new_status": "needs_review",
            "actor_kind": "customer",
            "note": "",
            "created_at": "2026-01-12T09:30:00Z",
        },
        {
            "kind": "status_changed",
            "old_status": "needs_review",
            "new_status": "approved",
            "actor_kind": "system",
            "note": "The serial is in a recalled batch.",
            "created_at": "2026-01-12T09:30:00Z",
        },
        {
            "kind": "status_changed",
            "old_status": "approved",
            "new_status": "awaiting_disposal",
            "actor_kind": "system",
            "note": "The remedy is issued once a certified recycling centre confirms the unit's disposal.",
            "created_at": "2026-01-12T09:30:00Z",
        },
    ],
    "disposal": {"status": "pending", "facility": None, "confirmed_at": None},
    "fulfilment": None,
    "terms": {"remedy": "refund", "amount": "39.99", "currency": "EUR", "replacement_model": None},
    "return_kit": None,
}


def claim_for_request(request, reference: str):
    return claim_get_for_token(reference=reference, token=request.auth or "")


class ClaimTokenApi(APIView):
    """A view of one claim, opened by the claim's access token."""

    authentication_classes = [ClaimAccessTokenAuthentication]
    schema = ClaimAccessTokenRequired()


class ClaimCreateApi(APIView):
    throttle_scope = "claims"
    parser_classes = [JSONParser, MultiPartParser]  # a claim's files can only come as multipart

    @extend_schema(
        operation_id="claim_create",
        request={
            "application/json": ClaimCreateJSONInputSerializer,
            "multipart/form-data": OpenApiRequest(
                ClaimCreateInputSerializer,
                encoding={name: {"contentType": UPLOAD_TYPES} for name in FILE_FIELDS},
            ),
        },
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: ClaimCreatedSerializer,
            **error_responses(
                *ANY_BODY,
                CLAIM_REFUSED,
                INVALID_SERIAL,
                INVALID_UPLOAD,
                DUPLICATE_SERIAL,
                SERIAL_NOT_RECALLED,
                CLAIM_WINDOW_CLOSED,
                IDEMPOTENCY_KEY_REUSED,
            ),
        },
        summary="Submit a claim with a serial number or a proof of purchase",
        description=(
            "A claim for a recalled unit, under the active recall that covers its model in the customer's "
            "country (the latest, if several). Give the unit's serial, or attach a proof of purchase "
            "(multipart); a market may also ask for a `product_photo` of the unit with RECALLED written "
            "on it (see `GET /api/v1/recalls/`). A serial found in a recalled batch for the country is "
            "approved at once unless a fraud check holds it; a proof-only or held claim waits for an agent "
            "(`needs_review`). The answer carries the claim's `access_token`, shown this once: it opens "
            "the claim's own operations. When several errors apply, 400s come first, then 422, then 409."
        ),
        examples=[
            OpenApiExample("A claim with a recalled serial", value=CLAIM_EXAMPLE, request_only=True),
            OpenApiExample("Submitted", value=CLAIM_CREATED_EXAMPLE, response_only=True, status_codes=[201]),
        ],
    )
    def post(self, request):
        given = ClaimCreateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data

        submission = ClaimSubmission(**data, language=request.LANGUAGE_CODE, channel=Channel.API)
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            submitted = claim_submit(submission=submission)
            return Response(ClaimCreatedSerializer(submitted).data, status=status.HTTP_201_CREATED)
        fields = {k: v for k, v in data.items() if k not in FILE_FIELDS}
        files = {k: data[k] for k in FILE_FIELDS if data.get(k) is not None}
        fingerprint = request_fingerprint(fields, files)
        replay = idempotent_replay(key=key, fingerprint=fingerprint)
        if replay is not None:
            return Response(replay[1], status=replay[0])
        # Uploads are decoded and stored before the idempotency record's transaction, which holds locks.
        prepared = claim_prepare(submission=submission)
        try:
            code, body = idempotent_response(
                key=key,
                fingerprint=fingerprint,
                respond=lambda: (
                    status.HTTP_201_CREATED,
                    ClaimCreatedSerializer(claim_create(prepared=prepared)).data,
                ),
            )
        finally:
            claim_prepared_discard(prepared=prepared)  # a concurrent twin answered first: nothing kept
        return Response(body, status=code)


class StatusLinksInputSerializer(serializers.Serializer):
    """An address to send the status links of its claims to."""

    email = strict.EmailField(max_length=254, help_text="The address given with the claims.")


class StatusLinksApi(APIView):
    """A customer who lost the access token asks for status links by e-mail."""

    throttle_scope = "claims"

    @extend_schema(
        operation_id="status_links_send",
        request=StatusLinksInputSerializer,
        responses={202: DetailSerializer, **error_responses(*ANY_BODY)},
        summary="E-mail a status link to each claim of an address",
        description="202 for any well-formed address, whether or not it has claims: nothing is disclosed. "
        "If it has claims, one e-mail in the claims' language lists each with a link that opens its "
        "status page without the access token, for 7 days.",
        examples=[
            OpenApiExample("An address", value={"email": "erika@example.com"}, request_only=True),
            OpenApiExample(
                "Accepted",
                value={
                    "detail": "If this address has claims, an e-mail with their status links is on its way."
                },
                response_only=True,
                status_codes=[202],
            ),
        ],
    )
    def post(self, request):
        given = StatusLinksInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        status_links_request(email=given.validated_data["email"], channel=Channel.API)
        return Response(
            {"detail": _("If this address has claims, an e-mail with their status links is on its way.")},
            status=status.HTTP_202_ACCEPTED,
        )


class ClaimDetailApi(ClaimTokenApi):
    throttle_scope = "public"

    @extend_schema(
        operation_id="claim_retrieve",
        parameters=[REFERENCE],
        responses={200: ClaimSerializer, **error_responses(CLAIM_NOT_FOUND)},
        summary="A claim's status, timeline, disposal and remedy",
        description=(
            "Opened by the claim's access token (`Authorization: Bearer <access_token>`). `fulfilment` is "
            "null until the remedy is issued, `terms` null until the claim is approved."
        ),
        examples=[OpenApiExample("Awaiting disposal", value=CLAIM_EXAMPLE_BODY, response_only=True)],
    )
    def get(self, request, reference: str):
        return Response(ClaimSerializer(claim_for_request(request, reference)).data)


class ClaimCancelApi(ClaimTokenApi):
    throttle_scope = "claims"

    @extend_schema(
        operation_id="claim_cancel",
        request=None,
        parameters=[REFERENCE],
        responses={200: ClaimSerializer, **error_responses(CLAIM_NOT_FOUND, INVALID_TRANSITION)},
        summary="Withdraw a claim",
        description=(
            "The customer withdraws the claim, which is possible until its remedy is being issued "
            "(`fulfilling`). Answers the claim, now `cancelled`. A cancelled claim frees its serial for "
            "a new claim."
        ),
        examples=[
            OpenApiExample(
                "Cancelled",
                value={**CLAIM_EXAMPLE_BODY, "status": "cancelled", "terms": None},
                response_only=True,
            )
        ],
    )
    def post(self, request, reference: str):
        claim = claim_cancel(claim=claim_for_request(request, reference))
        return Response(ClaimSerializer(claim).data)


class PNGRenderer(BaseRenderer):
    """Lets clients ask for ``image/png``; the view answers with the PNG bytes itself."""

    media_type = "image/png"
    format = "png"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class ClaimVoucherApi(ClaimTokenApi):
    """The drop-off voucher: a QR code of the claim's reference for the recycling centre to scan."""

    throttle_scope = "public"
    renderer_classes = [JSONRenderer, PNGRenderer]

    @extend_schema(
        operation_id="claim_voucher",
        parameters=[REFERENCE],
        responses={
            (200, "image/png"): OpenApiResponse(bytes, description="The voucher, a PNG image."),
            **error_responses(CLAIM_NOT_FOUND),
        },
        summary="The claim's drop-off voucher",
        description=(
            "A PNG with a QR code of the claim's reference, for the recycling centre to scan when the "
            "customer hands the unit in. Errors are JSON, as everywhere in the API."
        ),
    )
    def get(self, request, reference: str):
        png = voucher_png(claim=claim_for_request(request, reference))
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON, as everywhere in the API, even for a client that asked for image/png.
        if isinstance(response, Response):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


# The operations the answer to a new claim opens: its reference and token, as OpenAPI links.
_OPENED_BY_A_NEW_CLAIM = {
    "claim_retrieve": "Follow the claim.",
    "claim_cancel": "Withdraw the claim.",
    "claim_voucher": "The drop-off voucher for the recycling centre.",
    "claim_return_kit_order": "Order a return kit by mail, where one is offered.",
}


def link_the_claims_operations(result, generator, request, public):
    """drf-spectacular postprocessing hook: the links from a new claim to the operations it opens,
    with its reference and its access token as their Bearer token."""
    operations = {op["operationId"]: op for item in result["paths"].values() for op in item.values()}
    operations["claim_create"]["responses"]["201"]["links"] = {
        operation_id: {
            "operationId": operation_id,
            "parameters": {
                "reference": "$response.body#/reference",
                "header.Authorization": "Bearer {$response.body#/access_token}",
            },
            "description": description,
        }
        for operation_id, description in _OPENED_BY_A_NEW_CLAIM.items()
    }
    return result
