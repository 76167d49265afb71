import io

import pytest
from PIL import Image

from claims.services import ClaimSubmission, claim_submit

pytestmark = pytest.mark.django_db


def submitted_claim(serial: str):
    return claim_submit(
        submission=ClaimSubmission(
            model_number="A1263",
            serial=serial,
            country="US",
            remedy="gift_card",
            name="Ann",
            email="ann@example.com",
            address_line1="1 Main St",
            city="Springfield",
            postal_code="12345",
        )
    )


def test_voucher_decodes_back_to_the_reference(api, us_recall):
    zxingcpp = pytest.importorskip("zxingcpp")
    submitted = submitted_claim("AH23060000000042")
    reference = submitted.claim.reference
    response = api.get(
        f"/api/v1/claims/{reference}/voucher.png", HTTP_AUTHORIZATION=f"Bearer {submitted.access_token}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    decoded = zxingcpp.read_barcodes(image)
    assert [d.text for d in decoded] == [reference]


def test_voucher_needs_the_token(api, us_recall):
    submitted = submitted_claim("AH23060000000043")
    url = f"/api/v1/claims/{submitted.claim.reference}/voucher.png"
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_ACCEPT": "image/png"}):
        response = api.get(url, **headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
