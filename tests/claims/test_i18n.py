"""Services' messages and the timeline's notes in the reader's language; agents' notes as they wrote them."""

import pytest
from django.utils import translation

from claims.models import Claim, ClaimEvent, ClaimStatus, hash_token
from claims.services import claim_reject
from core.models import OutboxMessage
from tests.claims.conftest import CLAIMS, bearer, claim_payload, submit
from tests.claims.test_pages import claim_data
from tests.factories import ClaimFactory, facility_with_token

pytestmark = pytest.mark.django_db

AGENT_NOTE = "Receipt shows 100% off; a %(amount)s placeholder and %s stay as typed."


def detail(api, created: dict, language: str) -> dict:
    response = api.get(
        f"{CLAIMS}{created['reference']}/",
        headers=bearer(created["access_token"]),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response.json()


def notes(body: dict) -> list[str]:
    return [event["note"] for event in body["events"] if event["note"]]


# --- Service errors -------------------------------------------------------------------------------


def test_a_service_error_on_the_api_speaks_the_accept_language(api, us_recall):
    payload = claim_payload(country="DE", remedy="gift_card")

    english = api.post(CLAIMS, payload, format="json")
    german = api.post(CLAIMS, payload, format="json", HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 400
    assert english.json() == {
        "code": "validation_error",
        "detail": "The request has invalid fields.",
        "fields": {"remedy": ["In Germany (DE) this recall offers: Replacement unit, Refund."]},
    }
    assert german.json() == {
        "code": "validation_error",  # codes are the contract: never translated
        "detail": "Die Anfrage enthält ungültige Felder.",
        "fields": {"remedy": ["In Deutschland (DE) bietet dieser Rückruf: Ersatzgerät, Rückerstattung."]},
    }


def test_a_catalogue_error_on_the_api_speaks_japanese(api, us_recall):
    body = {"model_number": "A1263", "serial": "123", "country": "US"}
    response = api.post("/api/v1/serial-checks/", body, format="json", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_serial",
        "detail": "これは型番 A1263 のシリアル番号ではありません。",
        "fields": {"serial": ["製品ラベルのシリアル番号をご確認ください。"]},
    }


def test_a_conflict_on_the_api_speaks_german(api, us_recall):
    created = submit(api).json()
    Claim.objects.update(status=ClaimStatus.FULFILLED)
    response = api.post(
        f"{CLAIMS}{created['reference']}/cancel/",
        headers=bearer(created["access_token"]),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["detail"] == (
        "Ein Antrag mit dem Status „erfüllt“ kann nicht in den Status „storniert“ wechseln."
    )


def test_a_service_error_on_the_claim_page_speaks_german(client, us_recall):
    response = client.post("/claim/", claim_data(country="DE", remedy="gift_card"), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    page = response.content.decode()
    assert "In Deutschland (DE) bietet dieser Rückruf: Ersatzgerät, Rückerstattung." in page
    assert "In Germany" not in page


# --- Notes the system writes ----------------------------------------------------------------------


def test_a_system_note_is_stored_as_a_message_and_shown_in_japanese(
    api, us_recall, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = submit(api).json()

    event = ClaimEvent.objects.get(kind=ClaimEvent.Kind.REMEDY_ISSUED)
    assert event.note == "Gift card of %(amount)s %(currency)s issued."
    assert event.note_params == {"amount": "40.00", "currency": "USD"}
    assert event.display_note == "Gift card of 40.00 USD issued."
    with translation.override("ja"):
        assert event.display_note == "40.00 USD のギフトカードを発行しました。"

    assert notes(detail(api, created, "ja")) == [
        "シリアル番号がリコール対象ロットに含まれています。",
        "40.00 USD のギフトカードを発行しました。",
    ]
    assert notes(detail(api, created, "en")) == [
        "The serial is in a recalled batch.",
        "Gift card of 40.00 USD issued.",
    ]


def test_a_system_note_on_the_status_page_speaks_german_with_german_amounts(client, us_recall):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.FULFILLED)
    token = "a-token"
    Claim.objects.filter(pk=claim.pk).update(access_token_hash=hash_token(token))
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.REMEDY_ISSUED,
        actor_kind=ClaimEvent.Actor.SYSTEM,
        note="Refund of %(amount)s %(currency)s paid.",
        note_params={"amount": "1234.50", "currency": "EUR"},
    )
    given = {"reference": claim.reference, "token": token}

    page = client.post("/status/", given, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Rückerstattung von 1234,50 EUR ausgezahlt." in page


def test_a_disposal_note_speaks_german(api, us_recall):
    facility, token = facility_with_token("Wertstoffhof Ost")
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)
    body = {"claim_reference": claim.reference, "serial": claim.serial, "condition": "swollen"}
    response = api.post(
        "/api/partner/v1/disposals/", body, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 201

    event = claim.events.get(kind=ClaimEvent.Kind.DISPOSAL_CONFIRMED)
    assert event.display_note == "Handed in at Wertstoffhof Ost (swollen)."
    with translation.override("de"):
        assert event.display_note == "Bei Wertstoffhof Ost abgegeben (aufgebläht)."


# --- Notes agents write ---------------------------------------------------------------------------


def test_an_agents_note_is_shown_as_typed_everywhere(
    api, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    created = submit(api).json()
    claim = Claim.objects.get(reference=created["reference"])
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.NEEDS_REVIEW, language="de")
    OutboxMessage.objects.all().delete()  # the receipt, sent long ago
    claim.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        claim_reject(claim=claim, agent_id="1", reason=AGENT_NOTE)

    event = claim.events.get(new_status=ClaimStatus.REJECTED)
    assert (event.note, event.note_params) == (AGENT_NOTE, None)
    for language in ("en", "de", "ja"):
        with translation.override(language):
            assert event.display_note == AGENT_NOTE
        assert notes(detail(api, created, language))[-1] == AGENT_NOTE
    (email,) = mailoutbox
    assert f"Grund: {AGENT_NOTE}" in email.body
