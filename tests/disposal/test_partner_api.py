import datetime

import pytest
from django.utils import timezone

from claims.models import ClaimEvent, ClaimFlag, ClaimStatus
from disposal.models import DisposalConfirmation
from fulfilment.models import GiftCard
from tests.factories import ClaimFactory, facility_with_token

pytestmark = pytest.mark.django_db

URL = "/api/partner/v1/disposals/"


@pytest.fixture
def facility_a(db):
    return facility_with_token("Centre A")


@pytest.fixture
def facility_b(db):
    return facility_with_token("Centre B")


def confirm(api, token, claim, serial=None, **extra):
    body = {
        "claim_reference": claim.reference,
        "serial": serial or claim.serial,
        "condition": "intact",
        **extra,
    }
    return api.post(URL, body, format="json", HTTP_AUTHORIZATION=f"Token {token}")


@pytest.fixture
def claim(us_recall):
    return ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)


def test_confirmation_is_recorded_on_the_timeline(api, facility_a, claim):
    facility, token = facility_a
    response = confirm(api, token, claim, serial=claim.serial.lower(), condition="swollen")
    assert response.status_code == 201
    assert response.json()["claim_reference"] == claim.reference
    assert response.json()["condition"] == "swollen"
    event = claim.events.get(kind=ClaimEvent.Kind.DISPOSAL_CONFIRMED)
    assert (event.actor_kind, event.actor_id) == ("facility", str(facility.pk))
    shown = DisposalConfirmation.objects.get(claim=claim)
    assert shown.serial_observed == claim.serial


def test_confirming_twice_returns_the_first_record_unchanged(api, facility_a, claim):
    _, token = facility_a
    first = confirm(api, token, claim, received_at="2026-01-02T10:00:00Z")
    again = confirm(api, token, claim, condition="damaged")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert DisposalConfirmation.objects.count() == 1


def test_unknown_reference_is_404(api, facility_a):
    _, token = facility_a
    body = {"claim_reference": "RC-NOSUCH00", "serial": "AH23060000000001", "condition": "intact"}
    response = api.post(URL, body, format="json", HTTP_AUTHORIZATION=f"Token {token}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_serial_mismatch_is_422(api, facility_a, claim):
    _, token = facility_a
    response = confirm(api, token, claim, serial="AH23069999999999")
    assert (response.status_code, response.json()["code"]) == (422, "serial_mismatch")
    assert not DisposalConfirmation.objects.exists()


def test_another_facility_confirming_is_409(api, facility_a, facility_b, claim):
    assert confirm(api, facility_a[1], claim).status_code == 201
    response = confirm(api, facility_b[1], claim)
    assert (response.status_code, response.json()["code"]) == (409, "already_disposed")


def test_another_facility_cannot_test_guessed_serials_against_a_confirmation(
    api, facility_a, facility_b, claim
):
    assert confirm(api, facility_a[1], claim).status_code == 201
    wrong_guess = confirm(api, facility_b[1], claim, serial="AH23069999999999")
    right_guess = confirm(api, facility_b[1], claim)
    # the same answer either way: nothing tells the second facility which guess was right
    assert (wrong_guess.status_code, wrong_guess.json()["code"]) == (409, "already_disposed")
    assert wrong_guess.json() == right_guess.json()


@pytest.mark.parametrize("header", [None, "Token wrong-token", "Bearer something", "Token "])
def test_without_a_valid_token_is_401(api, claim, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api.post(URL, {"claim_reference": claim.reference}, format="json", **extra)
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert api.get(URL, **extra).status_code == 401


def test_inactive_facility_is_refused(api, facility_a, claim):
    facility, token = facility_a
    facility.active = False
    facility.save()
    response = confirm(api, token, claim)
    assert (response.status_code, response.json()["code"]) == (403, "facility_not_certified")


def test_certification_expiring_mid_programme(api, facility_a, us_recall):
    facility, token = facility_a
    model = us_recall.models.get()
    first, second = (
        ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED) for _ in range(2)
    )
    assert confirm(api, token, first).status_code == 201
    facility.certifications.update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    response = confirm(api, token, second)
    assert (response.status_code, response.json()["code"]) == (403, "facility_not_certified")
    # what it confirmed while certified stays, and it can still read it
    assert api.get(URL, HTTP_AUTHORIZATION=f"Token {token}").json()["count"] == 1


def test_bad_fields_are_400(api, facility_a, claim):
    _, token = facility_a
    response = confirm(api, token, claim, condition="exploded")
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert "condition" in response.json()["fields"]
    future = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    assert confirm(api, token, claim, received_at=future).json()["fields"] == {
        "received_at": ["Is in the future."]
    }
    assert confirm(api, token, claim, serial="x!").json()["code"] == "invalid_serial"


def test_facility_sees_only_its_own_confirmations(api, facility_a, facility_b, us_recall):
    model = us_recall.models.get()
    mine, theirs = (
        ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED) for _ in range(2)
    )
    confirm(api, facility_a[1], mine)
    confirm(api, facility_b[1], theirs)
    listed = api.get(URL, HTTP_AUTHORIZATION=f"Token {facility_a[1]}").json()
    assert listed["count"] == 1
    assert [d["claim_reference"] for d in listed["results"]] == [mine.reference]
    # and B cannot overwrite A's record
    assert confirm(api, facility_b[1], mine).status_code == 409
    assert DisposalConfirmation.objects.get(claim=mine).facility == facility_a[0]


def test_any_status_is_accepted_but_only_awaiting_disposal_moves_on(api, facility_a, us_recall):
    model = us_recall.models.get()
    cancelled = ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.CANCELLED)
    assert confirm(api, facility_a[1], cancelled).status_code == 201
    cancelled.refresh_from_db()
    assert cancelled.status == ClaimStatus.CANCELLED


def test_disposal_releases_a_held_gift_card_exactly_once(
    api, facility_a, facility_b, us_recall, django_capture_on_commit_callbacks
):
    us_recall.market_rules.filter(country="US").update(disposal_before_remedy=True)
    held = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.AWAITING_DISPOSAL)
    with django_capture_on_commit_callbacks(execute=True):
        assert confirm(api, facility_a[1], held).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert confirm(api, facility_a[1], held).status_code == 200
        assert confirm(api, facility_b[1], held).status_code == 409
    held.refresh_from_db()
    assert held.status == ClaimStatus.FULFILLED
    assert GiftCard.objects.filter(claim=held).count() == 1
    assert [e.new_status for e in held.events.filter(kind="status_changed")] == ["fulfilling", "fulfilled"]


def test_proof_only_claim_records_the_observed_serial(api, facility_a, us_recall):
    model = us_recall.models.get()
    proof_only = ClaimFactory(recall=us_recall, model=model, serial="", status=ClaimStatus.APPROVED)
    assert confirm(api, facility_a[1], proof_only, serial="AH2306-0000-0000-77").status_code == 201
    proof_only.refresh_from_db()
    assert proof_only.serial == "AH23060000000077" and proof_only.serial_recalled
    assert proof_only.status == ClaimStatus.APPROVED
    # the serial now counts for duplicate_serial
    body = {
        "model_number": "A1263",
        "serial": "AH23060000000077",
        "country": "US",
        "remedy": "gift_card",
        "name": "Bob",
        "email": "bob@example.com",
        "address_line1": "2 Main St",
        "city": "Springfield",
        "postal_code": "12345",
    }
    assert api.post("/api/v1/claims/", body, format="json").json()["code"] == "duplicate_serial"


def test_proof_only_claim_with_a_serial_claimed_elsewhere_is_flagged(api, facility_a, us_recall):
    model = us_recall.models.get()
    other = ClaimFactory(
        recall=us_recall, model=model, serial="AH23060000000055", status=ClaimStatus.APPROVED
    )
    proof_only = ClaimFactory(recall=us_recall, model=model, serial="", status=ClaimStatus.AWAITING_DISPOSAL)
    assert confirm(api, facility_a[1], proof_only, serial="AH23060000000055").status_code == 201
    proof_only.refresh_from_db()
    assert proof_only.status == ClaimStatus.NEEDS_REVIEW
    flag = proof_only.flags.get()
    assert (flag.reason, flag.related_claim) == (ClaimFlag.Reason.SERIAL_SEEN_ELSEWHERE, other)


def test_proof_only_claim_with_a_serial_not_recalled_is_flagged(api, facility_a, us_recall):
    proof_only = ClaimFactory(
        recall=us_recall, model=us_recall.models.get(), serial="", status=ClaimStatus.APPROVED
    )
    assert confirm(api, facility_a[1], proof_only, serial="ZZ99990000000001").status_code == 201
    proof_only.refresh_from_db()
    assert proof_only.status == ClaimStatus.NEEDS_REVIEW
    assert proof_only.flags.get().reason == ClaimFlag.Reason.SERIAL_NOT_RECALLED


def test_partner_api_is_throttled_per_facility(api, facility_a, facility_b, monkeypatch):
    from django.core.cache import cache
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "partner": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    a = [api.get(URL, HTTP_AUTHORIZATION=f"Token {facility_a[1]}").status_code for _ in range(3)]
    assert a == [200, 200, 429]
    assert api.get(URL, HTTP_AUTHORIZATION=f"Token {facility_b[1]}").status_code == 200


def test_failed_partner_authentication_is_throttled_per_client(api, facility_a, monkeypatch):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    from disposal.authentication import FailedAuthenticationThrottle

    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "partner_auth_failures": "3/minute"}
    monkeypatch.setattr(FailedAuthenticationThrottle, "THROTTLE_RATES", rates)
    guesses = [
        api.get(URL, HTTP_AUTHORIZATION=f"Token guess-{n}", REMOTE_ADDR="198.51.100.7").status_code
        for n in range(5)
    ]
    assert guesses == [401, 401, 401, 429, 429]
    # even the right token waits, from that client; another client is not held back
    right = f"Token {facility_a[1]}"
    assert api.get(URL, HTTP_AUTHORIZATION=right, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert api.get(URL, HTTP_AUTHORIZATION=right, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert api.get(URL, HTTP_AUTHORIZATION=right, REMOTE_ADDR="198.51.100.7").json()["code"] == "throttled"
