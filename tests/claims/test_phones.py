"""A claim's phone number is checked for its country and stored in E.164, from the API and the page alike."""

import pytest

from claims.models import Claim
from tests.claims.conftest import claim_payload, submit
from tests.claims.test_pages import claim_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "remedy", "phone", "stored"),
    [
        ("US", "gift_card", "(202) 555-0143", "+12025550143"),
        ("US", "gift_card", "+1 202 555 0100", "+12025550100"),
        ("DE", "refund", "030 901820", "+4930901820"),
        ("DE", "refund", "0151 2345 6789", "+4915123456789"),
        # A number of another country, written with its country code: a customer's foreign mobile.
        ("US", "gift_card", "+49 151 23456789", "+4915123456789"),
        ("US", "gift_card", "", ""),
    ],
)
def test_a_valid_phone_is_stored_in_e164(api, us_recall, country, remedy, phone, stored):
    response = submit(api, claim_payload(country=country, remedy=remedy, phone=phone))

    assert response.status_code == 201, response.json()
    assert Claim.objects.get().phone == stored


@pytest.mark.parametrize(
    ("country", "remedy", "phone"),
    [
        ("US", "gift_card", "12345"),
        ("US", "gift_card", "+1 555 0100"),  # seven digits: no US number
        ("US", "gift_card", "030 901820"),  # a Berlin number without its country code
        ("DE", "refund", "not a number"),
        ("DE", "refund", "+49 1"),
    ],
)
def test_an_invalid_phone_is_a_validation_error_on_phone(api, us_recall, country, remedy, phone):
    response = submit(api, claim_payload(country=country, remedy=remedy, phone=phone))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["phone"]
    assert not Claim.objects.exists()


def test_the_message_names_the_country_and_an_example(api, us_recall):
    english = submit(api, claim_payload(phone="12345")).json()
    german = api.post(
        "/api/v1/claims/",
        claim_payload(country="DE", remedy="refund", phone="12345"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    ).json()

    assert english["fields"]["phone"] == [
        "Enter a valid phone number for United States of America (US), such as (201) 555-0123, or one of "
        "another country with its country code (+...)."
    ]
    assert german["fields"]["phone"] == [
        "Geben Sie eine gültige Telefonnummer für Deutschland (DE) ein, etwa 030 123456, oder eine "
        "Nummer eines anderen Landes mit Ländervorwahl (+...)."
    ]


def test_the_claim_page_shows_the_phone_error_on_its_field(client, us_recall):
    response = client.post("/claim/", claim_data(phone="12345"), HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 400
    page = response.content.decode()
    assert "有効な電話番号を入力してください" in page
    assert not Claim.objects.exists()


def test_the_claim_page_stores_the_phone_in_e164(client, us_recall):
    response = client.post("/claim/", claim_data(country="DE", remedy="refund", phone="030 901820"))

    assert response.status_code == 302
    assert Claim.objects.get().phone == "+4930901820"
