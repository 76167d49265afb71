from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import JSONParser, error_responses
from core.idempotency import idempotent_replay, idempotent_response, request_fingerprint

from .authentication import ClaimAccessTokenAuthentication, ClaimAccessTokenRequired
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
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A retry with the same key and body within 24 hours returns the first response.",
)
FILE_FIELDS = ("proof_of_purchase", "product_photo")
UPLOAD_TYPES = "image/jpeg, image/png, image/webp, application/pdf"


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
        request={
            "application/json": ClaimCreateJSONInputSerializer,
            "multipart/form-data": OpenApiRequest(
                ClaimCreateInputSerializer,
                encoding={name: {"contentType": UPLOAD_TYPES} for name in FILE_FIELDS},
            ),
        },
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ClaimCreatedSerializer, **error_responses(400, 409, 415, 422, 429)},
        summary="Submit a claim with a serial number or a proof of purchase",
    )
    def post(self, request):
        given = ClaimCreateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data

        submission = ClaimSubmission(**data, language=request.LANGUAGE_CODE)
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
    email = serializers.EmailField(max_length=254, help_text="The address given with the claims.")


class StatusLinksApi(APIView):
    """A customer who lost the access token asks for status links by e-mail."""

    throttle_scope = "claims"

    @extend_schema(
        request=StatusLinksInputSerializer,
        responses={202: DetailSerializer, **error_responses(400, 415, 429)},
        summary="E-mail a status link to each claim of an address",
        description="202 for any well-formed address, whether or not it has claims: nothing is disclosed. "
        "If it has claims, one e-mail in the claims' language lists each with a link that opens its "
        "status page without the access token, for 7 days.",
    )
    def post(self, request):
        given = StatusLinksInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        status_links_request(email=given.validated_data["email"])
        return Response(
            {"detail": _("If this address has claims, an e-mail with their status links is on its way.")},
            status=status.HTTP_202_ACCEPTED,
        )


class ClaimDetailApi(ClaimTokenApi):
    throttle_scope = "public"

    @extend_schema(responses={200: ClaimSerializer, **error_responses(404, 429)})
    def get(self, request, reference: str):
        return Response(ClaimSerializer(claim_for_request(request, reference)).data)


class ClaimCancelApi(ClaimTokenApi):
    throttle_scope = "claims"

    @extend_schema(request=None, responses={200: ClaimSerializer, **error_responses(404, 409, 429)})
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
        responses={(200, "image/png"): bytes, **error_responses(404, 429)},
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
