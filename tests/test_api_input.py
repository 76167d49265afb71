"""The API's text, e-mail and date-time fields take what the schema says they take, and nothing else."""

import datetime

import pytest

from claims.models import Claim
from disposal.models import DisposalConfirmation
from tests.claims.conftest import claim_payload, submit
from tests.factories import ClaimFactory, facility_with_token

pytestmark = pytest.mark.django_db


def refused(response, field):
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [field]
    return response.json()["fields"][field]


@pytest.mark.parametrize("value", [5, 4.5, True, ["Jane"], {"first": "Jane"}])
def test_a_text_field_takes_a_string_only(api, us_recall, value):
    # DRF's CharField would take 5 and 4.5 and make them names
    refused(submit(api, claim_payload(name=value)), "name")
    assert not Claim.objects.exists()


@pytest.mark.parametrize("value", ["   ", "\t\n", "\x01\x02", " \x7f ", "\u2028"])
def test_a_required_text_needs_a_visible_character(api, us_recall, value):
    assert refused(submit(api, claim_payload(city=value)), "city") == ["This field may not be blank."]


def test_a_text_is_measured_as_sent(api, us_recall):
    # 32 characters is the limit for a model number; DRF measured it after trimming the spaces
    refused(submit(api, claim_payload(model_number="A1263" + " " * 28)), "model_number")
    assert submit(api, claim_payload(model_number=" A1263 ")).status_code == 201


def test_nul_is_refused_in_any_text(api, us_recall):
    refused(submit(api, claim_payload(address_line2="Flat\x002")), "address_line2")


@pytest.mark.parametrize(
    "email",
    [
        "jane@example.c",  # a one-letter top-level domain, which Django refuses
        "jane@example.c0m",
        "jane doe@example.com",
        "jane..doe@example.com",
        '"jane"@example.com',
        "jane@[192.0.2.1]",
        "jane@localhost",
        "jane@ex_ample.com",
    ],
)
def test_an_email_address_is_one_the_schema_describes(api, us_recall, email):
    refused(submit(api, claim_payload(email=email)), "email")
    refused(api.post("/api/v1/status-links/", {"email": email}, format="json"), "email")


@pytest.mark.parametrize(
    "email",
    ["jane@example.com", "Jane.Doe+recall@mail.example-1.co.uk", "j" * 70 + "@x.de", " jane@example.com\t"],
)
def test_an_ordinary_email_address_is_taken(api, us_recall, email):
    assert submit(api, claim_payload(email=email)).status_code == 201


@pytest.mark.parametrize(
    "received_at",
    [
        "2026-01-14",
        "2026-01-14T10:05:00",
        "2026-01-14 10:05:00Z",
        "20260114T100500Z",
        "2026-01-14T10:05Z",
        1768385100,
    ],
)
def test_a_time_is_rfc_3339_with_its_offset(api, us_recall, received_at):
    facility, token = facility_with_token("Centre A")
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    body = {
        "claim_reference": claim.reference,
        "serial": claim.serial,
        "condition": "intact",
        "received_at": received_at,
    }
    response = api.post(
        "/api/partner/v1/disposals/", body, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    refused(response, "received_at")


@pytest.mark.parametrize(
    ("received_at", "utc"),
    [
        ("2026-01-14T10:05:00Z", datetime.datetime(2026, 1, 14, 10, 5, tzinfo=datetime.UTC)),
        (
            "2026-01-14t11:05:00.250+01:00",
            datetime.datetime(2026, 1, 14, 10, 5, 0, 250000, tzinfo=datetime.UTC),
        ),
    ],
)
def test_an_rfc_3339_time_is_taken(api, us_recall, received_at, utc):
    _, token = facility_with_token("Centre A")
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    body = {
        "claim_reference": claim.reference,
        "serial": claim.serial,
        "condition": "intact",
        "received_at": received_at,
    }
    response = api.post(
        "/api/partner/v1/disposals/", body, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 201
    assert DisposalConfirmation.objects.get().received_at == utc


def test_the_schema_states_the_rules_of_the_text_fields(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    claim = schema["ClaimCreateJSONInputRequest"]["properties"]
    assert claim["city"]["pattern"] == r"^[^\x00]*[^\s\x00-\x1f\x7f-\x9f][^\x00]*$"
    # a field that may be blank: the pattern for text, "" beside it
    assert claim["address_line2"]["oneOf"][0]["pattern"] == r"^[^\x00]+$"
    assert claim["address_line2"]["oneOf"][1] == {"type": "string", "maxLength": 0}
    # Django's rule for an address, spaces around it allowed; format: email would say neither
    assert "format" not in claim["email"] and claim["email"]["pattern"].startswith(r"^\s*[A-Za-z0-9")
    assert schema["DisposalCreateInputRequest"]["properties"]["received_at"]["format"] == "date-time"


@pytest.mark.parametrize("value", ["", ".", "-", "-1", "1.", "1.234", "59,90", " 5", "1e3", "123456789"])
def test_an_amount_is_digits_with_up_to_two_after_a_point(api, us_recall, value):
    # DRF's own pattern for a decimal takes "", "-" and "." in the schema, and DRF then refuses them
    refused(submit(api, claim_payload(price_paid=value)), "price_paid")


@pytest.mark.parametrize(
    ("value", "stored"), [("59.9", "59.90"), ("0", "0.00"), ("12345678.99", "12345678.99")]
)
def test_an_amount_the_schema_describes_is_taken(api, us_recall, value, stored):
    response = submit(api, claim_payload(price_paid=value))
    assert response.status_code == 201, response.json()
    assert str(Claim.objects.get(reference=response.json()["reference"]).price_paid) == stored
