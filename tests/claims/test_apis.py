"""The public claims API: submit, follow and cancel a claim (SPEC "HTTP API")."""

import datetime
import re
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from claims.models import Claim, ClaimDocument, ClaimEvent, ClaimFlag, hash_token
from claims.services import claim_reject
from core.models import IdempotencyRecord
from tests.claims.conftest import (
    CLAIMS,
    NOT_RECALLED_SERIAL,
    bearer,
    claim_payload,
    image_bytes,
    pdf_bytes,
    recalled_serial,
    submit,
    upload,
)
from tests.factories import MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"RC-[0-9A-HJKMNP-TV-Z]{8}")


def detail_url(reference: str) -> str:
    return f"{CLAIMS}{reference}/"


def cancel_url(reference: str) -> str:
    return f"{CLAIMS}{reference}/cancel/"


def receipt(content: bytes | None = None):
    return upload(content or pdf_bytes(), "receipt.pdf", "application/pdf")


def timeline(claim: Claim) -> list[tuple[str, str, str]]:
    return [(e.kind, e.old_status, e.new_status) for e in claim.events.all()]


# --- 201 ------------------------------------------------------------------------------------------


def test_recalled_serial_is_approved_at_once_and_the_token_is_shown(api, us_recall):
    # given a serial typed with dashes, in lower case and with an O for a zero
    payload = claim_payload(serial="ah23-o600-0000-0042", country="us", model_number="a1263")

    response = submit(api, payload)

    assert response.status_code == 201
    body = response.json()
    assert REFERENCE.fullmatch(body["reference"])
    assert len(body["access_token"]) >= 40
    assert body["status"] == "approved"
    assert body["remedy"] == "gift_card"
    assert body["recall"] == us_recall.code
    assert (body["model_number"], body["serial"], body["country"]) == ("A1263", "AH23060000000042", "US")
    claim = Claim.objects.get()
    assert claim.reference == body["reference"]
    assert claim.serial_recalled is True
    assert (claim.customer_name, claim.email, claim.city) == (
        "Jane Customer",
        "jane@example.com",
        "Springfield",
    )


def test_proof_only_claim_waits_for_review(api, us_recall):
    response = submit(api, claim_payload(serial=None), files={"proof_of_purchase": receipt()})

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["serial"]) == ("needs_review", "")
    assert body["access_token"]
    claim = Claim.objects.get()
    assert claim.recall == us_recall
    assert claim.documents.get().kind == ClaimDocument.Kind.PROOF_OF_PURCHASE


def test_serial_not_recalled_with_a_proof_of_purchase_waits_for_review(api, us_recall):
    response = submit(api, claim_payload(serial=NOT_RECALLED_SERIAL), files={"proof_of_purchase": receipt()})

    assert response.status_code == 201
    assert response.json()["status"] == "needs_review"
    claim = Claim.objects.get()
    assert (claim.serial, claim.serial_recalled) == (NOT_RECALLED_SERIAL, False)


def test_product_photo_is_kept_beside_the_serial(api, us_recall, jpeg):
    response = submit(api, files={"product_photo": upload(jpeg, "label.jpg")})

    assert response.status_code == 201
    assert response.json()["status"] == "approved"
    document = ClaimDocument.objects.get()
    assert (document.kind, document.content_type) == (ClaimDocument.Kind.PRODUCT_PHOTO, "image/jpeg")


def test_claim_in_a_market_that_holds_the_remedy_awaits_disposal(api, us_recall):
    # given Germany, where the remedy waits until a recycling centre confirms the disposal
    response = submit(api, claim_payload(country="DE", remedy="refund"))

    assert response.status_code == 201
    assert response.json()["status"] == "awaiting_disposal"
    claim = Claim.objects.get()
    assert timeline(claim) == [
        ("submitted", "", "needs_review"),
        ("status_changed", "needs_review", "approved"),
        ("status_changed", "approved", "awaiting_disposal"),
    ]


def test_a_replacement_is_accepted_as_a_model_with_no_amount_or_currency(api, us_recall):
    """The terms of a replacement name the unit sent and no money: no currency left from the reset."""
    created = submit(api, claim_payload(remedy="replacement")).json()

    body = api.get(detail_url(created["reference"]), headers=bearer(created["access_token"])).json()

    assert body["status"] == "approved"
    assert body["terms"] == {
        "remedy": "replacement",
        "amount": None,
        "currency": None,
        "replacement_model": "A1263",
    }
    claim = Claim.objects.get()
    assert (claim.terms_amount, claim.terms_currency) == (None, "")


def test_recall_of_a_claim_is_the_latest_active_recall_for_its_market(api, us_recall):
    # given a later recall of the same model in the US that ranges other serials
    later = MarketRuleFactory(country="US", recall__announced_on=datetime.date(2025, 10, 1)).recall
    batch = RecalledBatchFactory(recall=later, model=us_recall.models.get(), markets=["US"])
    SerialRangeFactory(batch=batch, prefix="AH2399")

    proof_only = submit(api, claim_payload(serial=None), files={"proof_of_purchase": receipt()})
    in_first_batch = submit(api, claim_payload(serial=recalled_serial(7)))

    assert proof_only.json()["recall"] == later.code
    assert in_first_batch.json()["recall"] == us_recall.code


# --- 422 and 409 ----------------------------------------------------------------------------------


def test_serial_not_recalled_without_proof_is_refused(api, us_recall):
    response = submit(api, claim_payload(serial=NOT_RECALLED_SERIAL))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "serial_not_recalled"
    assert body["detail"]
    assert "serial" in body["fields"]
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"postal_code": "1234"},
            "postal_code",
            "This is not a postal code of United States of America (US), such as 95014.",
        ),
        ({"region": "Narnia"}, "region", "'Narnia' is not a region of United States of America (US)."),
    ],
)
def test_a_postal_code_or_region_the_market_has_not_is_400_on_its_field(
    api, us_recall, fields, field, message
):
    response = submit(api, claim_payload(**fields))
    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}


def test_a_region_is_stored_as_its_code_and_is_optional_in_the_api(api, us_recall):
    from claims.models import Claim

    assert submit(api, claim_payload(region="california", postal_code=" 94043 ")).status_code == 201
    assert submit(api, claim_payload(serial="AH2306-0000-0000-43", email="b@example.com")).status_code == 201
    assert sorted(Claim.objects.values_list("region", "postal_code")) == [("", "12345"), ("CA", "94043")]


def test_serial_recalled_only_in_other_markets_is_not_recalled_here(api, us_recall):
    # given the recall also runs in Japan, but this batch was sold in the US and Germany only
    MarketRuleFactory(recall=us_recall, country="JP")

    response = submit(api, claim_payload(country="JP", remedy="replacement", postal_code="100-0001"))

    assert response.status_code == 422
    assert response.json()["code"] == "serial_not_recalled"
    # the form shows on the serial that the unit is recalled, only not here
    assert response.json()["fields"] == {"serial": ["Recalled in other countries, not in this one."]}


def test_second_claim_for_a_serial_is_a_duplicate(api, us_recall):
    assert submit(api).status_code == 201

    # the same unit, typed differently, by someone else
    response = submit(api, claim_payload(serial="AH2306-0000-0000-42", email="other@example.com"))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_serial"
    assert "serial" in body["fields"]
    assert Claim.objects.count() == 1


def test_duplicate_serial_holds_for_claims_in_review(api, us_recall):
    first = submit(api, claim_payload(serial=NOT_RECALLED_SERIAL), files={"proof_of_purchase": receipt()})
    assert first.json()["status"] == "needs_review"

    second = submit(
        api, claim_payload(serial=NOT_RECALLED_SERIAL), files={"proof_of_purchase": receipt(pdf_bytes(2))}
    )

    assert second.status_code == 409
    assert second.json()["code"] == "duplicate_serial"


def test_rejected_claim_frees_its_serial(api, us_recall):
    # given a claim in review that an agent rejects
    payload = claim_payload(serial=NOT_RECALLED_SERIAL)
    first = submit(api, payload, files={"proof_of_purchase": receipt()}).json()
    claim_reject(
        claim=Claim.objects.get(reference=first["reference"]), agent_id="1", reason="Receipt unreadable."
    )

    response = submit(api, payload, files={"proof_of_purchase": receipt(pdf_bytes(2))})

    assert response.status_code == 201
    assert response.json()["status"] == "needs_review"
    assert Claim.objects.count() == 2


def test_cancelled_claim_frees_its_serial(api, us_recall):
    first = submit(api).json()
    assert api.post(cancel_url(first["reference"]), headers=bearer(first["access_token"])).status_code == 200

    response = submit(api)

    assert response.status_code == 201
    assert response.json()["status"] == "approved"


# --- 400 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"serial": None}, "serial", id="no-serial-no-proof"),
        pytest.param({"serial": "  "}, "serial", id="blank-serial-no-proof"),
        pytest.param({"model_number": "Z9999"}, "model_number", id="unknown-model"),
        pytest.param({"country": "Narnia"}, "country", id="unknown-country"),
        pytest.param({"country": "XX"}, "country", id="unassigned-country-code"),
        pytest.param({"country": "FR"}, "model_number", id="no-recall-in-that-country"),
        pytest.param({"remedy": "refund"}, "remedy", id="remedy-not-offered-in-that-country"),
        pytest.param({"remedy": "cash"}, "remedy", id="not-a-remedy"),
        pytest.param({"email": "jane-at-example.com"}, "email", id="bad-email"),
        pytest.param({"name": None}, "name", id="missing-name"),
        pytest.param({"postal_code": "1" * 21}, "postal_code", id="postal-code-too-long"),
    ],
)
def test_invalid_fields_are_a_validation_error(api, us_recall, overrides, field):
    response = submit(api, claim_payload(**overrides))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"]
    assert field in body["fields"]
    assert all(isinstance(m, str) for m in body["fields"][field])
    assert not Claim.objects.exists()


def test_inactive_recall_takes_no_claims(api, us_recall):
    us_recall.active = False
    us_recall.save()

    response = submit(api)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "model_number" in response.json()["fields"]


@pytest.mark.parametrize("serial", ["123", "AH2306000000004!", "AH23060000000042X", "ÄH23060000000042"])
def test_serial_that_cannot_be_the_models_is_invalid(api, us_recall, serial):
    response = submit(api, claim_payload(serial=serial))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_serial"
    assert "serial" in response.json()["fields"]


def test_unreadable_json_is_a_parse_error(api, us_recall):
    response = api.generic("POST", CLAIMS, b'{"model_number": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_multipart_without_files_is_a_claim_like_json(api, us_recall):
    response = api.post(CLAIMS, claim_payload(), format="multipart")

    assert response.status_code == 201
    assert response.json()["status"] == "approved"


def test_protocol_errors_have_their_codes(api, us_recall):
    listing = api.get(CLAIMS)
    xml = api.generic("POST", CLAIMS, b"<claim/>", content_type="application/xml")
    html = api.post(CLAIMS, claim_payload(), format="json", headers={"Accept": "text/html"})

    assert (listing.status_code, listing.json()["code"]) == (405, "method_not_allowed")
    assert (xml.status_code, xml.json()["code"]) == (415, "unsupported_media_type")
    assert html.status_code == 406
    assert not Claim.objects.exists()


def test_wrong_types_are_a_validation_error_not_a_crash(api, us_recall):
    response = submit(api, claim_payload(serial=["AH"], country={"x": 1}, proof_of_purchase="file"))

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# --- Which error comes first: 400, then 422, then 409 ---------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"email": "nope"}, id="bad-email"),
        pytest.param({"country": "Narnia"}, id="unknown-country"),
        pytest.param({"remedy": "refund"}, id="remedy-not-offered"),
    ],
)
def test_validation_errors_come_before_serial_not_recalled(api, us_recall, overrides):
    response = submit(api, claim_payload(serial=NOT_RECALLED_SERIAL, **overrides))

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        pytest.param({"email": "nope"}, "validation_error", id="bad-email"),
        pytest.param({"remedy": "refund"}, "validation_error", id="remedy-not-offered"),
        pytest.param({"serial": "123"}, "invalid_serial", id="invalid-serial"),
    ],
)
def test_validation_errors_come_before_duplicate_serial(api, us_recall, overrides, code):
    assert submit(api).status_code == 201

    response = submit(api, claim_payload(**overrides))

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_invalid_upload_comes_before_duplicate_serial(api, us_recall):
    assert submit(api).status_code == 201

    response = submit(api, files={"product_photo": upload(b"not an image", "label.jpg")})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_upload"


def test_serial_not_recalled_comes_before_duplicate_serial(api, us_recall):
    # given an open claim for a serial that is not recalled, sent with a proof of purchase
    first = submit(api, claim_payload(serial=NOT_RECALLED_SERIAL), files={"proof_of_purchase": receipt()})
    assert first.status_code == 201

    # when the same serial comes again, without a proof
    response = submit(api, claim_payload(serial=NOT_RECALLED_SERIAL))

    assert response.status_code == 422
    assert response.json()["code"] == "serial_not_recalled"


# --- Following a claim ----------------------------------------------------------------------------


def test_claim_with_its_token_shows_status_and_timeline(api, us_recall):
    created = submit(api).json()

    response = api.get(detail_url(created["reference"]), headers=bearer(created["access_token"]))

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == created["reference"]
    assert (body["status"], body["remedy"], body["recall"]) == ("approved", "gift_card", us_recall.code)
    assert [(e["kind"], e["old_status"], e["new_status"]) for e in body["events"]] == [
        ("submitted", "", "needs_review"),
        ("status_changed", "needs_review", "approved"),
    ]
    assert all(e["created_at"] for e in body["events"])
    assert body["disposal"]["status"] == "pending"
    assert body["fulfilment"] is None
    assert "access_token" not in body


def test_reference_is_read_whatever_its_case(api, us_recall):
    created = submit(api).json()

    response = api.get(detail_url(created["reference"].lower()), headers=bearer(created["access_token"]))

    assert response.status_code == 200


def test_reference_read_out_with_o_and_i_for_0_and_1_is_found(api, us_recall, monkeypatch):
    monkeypatch.setattr("claims.services.new_claim_reference", lambda: "RC-10K3F9Q0")
    created = submit(api).json()

    response = api.get(detail_url("rc-IOK3F9QO"), headers=bearer(created["access_token"]))

    assert response.status_code == 200


def test_claim_is_not_disclosed_without_its_own_token(api, us_recall):
    created = submit(api).json()
    other = submit(api, claim_payload(serial=recalled_serial(43))).json()
    reference = created["reference"]

    responses = {
        "no token": api.get(detail_url(reference)),
        "wrong token": api.get(detail_url(reference), headers=bearer("x" * 43)),
        "another claim's token": api.get(detail_url(reference), headers=bearer(other["access_token"])),
        "token, other scheme": api.get(
            detail_url(reference), headers={"Authorization": f"Token {created['access_token']}"}
        ),
        "unknown reference": api.get(detail_url("RC-00000000"), headers=bearer(created["access_token"])),
    }

    bodies = {name: (r.status_code, r.json()) for name, r in responses.items()}
    expected = bodies["unknown reference"]
    assert expected[0] == 404
    assert expected[1]["code"] == "not_found"
    assert bodies == dict.fromkeys(responses, expected)


def test_customer_cancels_a_claim_once(api, us_recall, mailoutbox, django_capture_on_commit_callbacks):
    created = submit(api).json()  # its commit is not run: the claim stays approved, its e-mail owed
    headers = bearer(created["access_token"])

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(cancel_url(created["reference"]), headers=headers)

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["events"][-1]["new_status"] == "cancelled"
    assert response.json()["events"][-1]["actor_kind"] == "customer"
    # the drain the cancellation queued sends what is owed: the receipt, then the cancellation
    assert [m.subject for m in mailoutbox] == [
        f"We received your recall claim {created['reference']}",
        f"Your recall claim {created['reference']} was cancelled",
    ]
    assert [m.to for m in mailoutbox] == [["jane@example.com"]] * 2

    again = api.post(cancel_url(created["reference"]), headers=headers)

    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert Claim.objects.get().status == "cancelled"


def test_claim_being_fulfilled_cannot_be_cancelled(api, us_recall):
    created = submit(api).json()
    Claim.objects.update(status="fulfilling")

    response = api.post(cancel_url(created["reference"]), headers=bearer(created["access_token"]))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_cancel_without_the_token_is_not_found(api, us_recall):
    created = submit(api).json()

    response = api.post(cancel_url(created["reference"]), headers=bearer("guess"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Claim.objects.get().status == "approved"


# --- The access token -----------------------------------------------------------------------------


def database_contents() -> bytes:
    """Every value of every table, as bytes."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    values.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(values)


@pytest.mark.parametrize("key", [None, "retry-key-1"], ids=["plain", "with-idempotency-key"])
def test_access_token_is_stored_only_hashed(api, us_recall, key):
    token = submit(api, key=key).json()["access_token"]

    assert Claim.objects.get().access_token_hash == hash_token(token)
    assert token.encode() not in database_contents()


# --- Receipts used twice --------------------------------------------------------------------------


def test_same_receipt_on_two_claims_flags_both(api, us_recall, receipt_pdf):
    # given an approved claim sent with a receipt
    first = submit(api, files={"proof_of_purchase": receipt(receipt_pdf)}).json()
    assert first["status"] == "approved"

    # when another unit is claimed with the very same receipt
    second = submit(
        api,
        claim_payload(serial=recalled_serial(43), email="someone@example.com"),
        files={"proof_of_purchase": receipt(receipt_pdf)},
    )

    # then both wait for an agent, each flagged with the other
    assert second.status_code == 201
    assert second.json()["status"] == "needs_review"
    one = Claim.objects.get(reference=first["reference"])
    two = Claim.objects.get(reference=second.json()["reference"])
    assert one.status == "needs_review"
    assert [(f.reason, f.related_claim) for f in one.flags.all()] == [
        (ClaimFlag.Reason.DUPLICATE_RECEIPT, two)
    ]
    assert [(f.reason, f.related_claim) for f in two.flags.all()] == [
        (ClaimFlag.Reason.DUPLICATE_RECEIPT, one)
    ]
    assert timeline(one)[-2:] == [
        ("flagged", "", ""),
        ("status_changed", "approved", "needs_review"),
    ]
    # flags are for agents: the customer sees the status change, not why
    events = api.get(detail_url(first["reference"]), headers=bearer(first["access_token"])).json()["events"]
    assert "flagged" not in [e["kind"] for e in events]
    assert events[-1]["new_status"] == "needs_review"


def test_different_receipts_flag_nothing(api, us_recall):
    submit(api, files={"proof_of_purchase": receipt(pdf_bytes(1))})
    second = submit(
        api, claim_payload(serial=recalled_serial(43)), files={"proof_of_purchase": receipt(pdf_bytes(2))}
    )

    assert second.json()["status"] == "approved"
    assert not ClaimFlag.objects.exists()


# --- Idempotency-Key ------------------------------------------------------------------------------


def test_retry_with_the_same_key_and_body_replays_the_first_response(
    api, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(api, key="key-1")
        retry = submit(api, key="key-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.json()["access_token"]
    assert Claim.objects.count() == 1
    assert ClaimEvent.objects.filter(kind="submitted").count() == 1
    assert len([m for m in mailoutbox if "received" in m.subject]) == 1


def test_same_key_with_another_body_is_refused(api, us_recall):
    submit(api, key="key-1")

    response = submit(api, claim_payload(remedy="replacement"), key="key-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Claim.objects.count() == 1


def test_different_keys_are_different_requests(api, us_recall):
    assert submit(api, key="key-1").status_code == 201

    response = submit(api, key="key-2")

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_serial"


def test_key_is_kept_for_24_hours(api, us_recall):
    first = submit(api, key="key-1").json()
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=23, minutes=59))

    retry = submit(api, key="key-1")

    assert (retry.status_code, retry.json()) == (201, first)


def test_key_older_than_24_hours_is_processed_afresh(api, us_recall):
    submit(api, key="key-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1))

    retry = submit(api, key="key-1")

    # then the request is handled as new: the unit already has a claim
    assert retry.status_code == 409
    assert retry.json()["code"] == "duplicate_serial"


def test_expired_key_on_a_proof_only_claim_makes_a_new_claim(api, us_recall, receipt_pdf):
    payload = claim_payload(serial=None)
    first = submit(api, payload, files={"proof_of_purchase": receipt(receipt_pdf)}, key="key-1").json()
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))

    retry = submit(api, payload, files={"proof_of_purchase": receipt(receipt_pdf)}, key="key-1")

    assert retry.status_code == 201
    assert retry.json()["reference"] != first["reference"]
    assert Claim.objects.count() == 2


def test_multipart_retry_with_the_same_files_replays(api, us_recall, receipt_pdf, jpeg):
    def files():
        return {"proof_of_purchase": receipt(receipt_pdf), "product_photo": upload(jpeg, "label.jpg")}

    first = submit(api, files=files(), key="key-1")
    retry = submit(api, files=files(), key="key-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert Claim.objects.count() == 1
    assert ClaimDocument.objects.count() == 2


def test_multipart_retry_with_another_file_is_refused(api, us_recall, receipt_pdf):
    submit(api, files={"proof_of_purchase": receipt(receipt_pdf)}, key="key-1")

    response = submit(api, files={"proof_of_purchase": receipt(pdf_bytes(2))}, key="key-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_refused_request_does_not_use_up_its_key(api, us_recall):
    refused = submit(api, claim_payload(remedy="refund"), key="key-1")
    assert refused.status_code == 400

    response = submit(api, key="key-1")

    assert response.status_code == 201
    assert IdempotencyRecord.objects.count() == 1


def test_overlong_key_is_a_validation_error(api, us_recall):
    response = submit(api, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not Claim.objects.exists()


# --- E-mail ---------------------------------------------------------------------------------------


def test_claim_received_email_is_sent_after_commit(
    api, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        created = submit(api).json()
    assert mailoutbox == []  # nothing leaves before the claim is committed

    for callback in callbacks:
        callback()

    # the commit issued the gift card too: one drain of the outbox sends both, in the order owed
    assert [m.subject for m in mailoutbox] == [
        f"We received your recall claim {created['reference']}",
        f"Your recall claim {created['reference']}: your remedy",
    ]
    email = mailoutbox[0]
    assert email.to == ["jane@example.com"]
    assert created["reference"] in email.subject
    assert created["reference"] in email.body
    assert "/status/link/" in email.body  # a status link, which opens the claim without the token
    assert created["access_token"] not in email.body


def test_refused_claim_sends_no_email(api, us_recall, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(api, claim_payload(serial=NOT_RECALLED_SERIAL))

    assert mailoutbox == []


def test_image_and_pdf_documents_are_both_accepted(api, us_recall):
    response = submit(
        api,
        claim_payload(serial=None),
        files={
            "proof_of_purchase": upload(image_bytes("PNG"), "receipt.png", "image/png"),
            "product_photo": upload(image_bytes("WEBP"), "label.webp", "image/webp"),
        },
    )

    assert response.status_code == 201
    assert sorted(ClaimDocument.objects.values_list("content_type", flat=True)) == ["image/png", "image/webp"]


def test_claim_is_answered_when_the_broker_fails_after_commit(transactional_db, api, us_recall):
    # given the broker goes away: the claim is committed before anything is queued
    api.raise_request_exception = False
    refused = OperationalError("Connection refused")
    with mock.patch("celery.app.task.Task.apply_async", side_effect=refused):
        response = submit(api)

    # then the customer still gets the claim's reference and token, shown only this once
    assert response.status_code == 201
    assert response.json()["access_token"]
    assert Claim.objects.get().reference == response.json()["reference"]


def test_names_and_addresses_are_kept_on_one_line(
    api, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    hostile = "Jane\r\nYour gift card: visit http://evil.example\u2028now\x1b"
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            api, claim_payload(name=hostile, address_line1="1 Main\nStreet", city="Spring\tfield")
        )
    assert response.status_code == 201
    claim = Claim.objects.get()
    assert claim.customer_name == "Jane Your gift card: visit http://evil.example now"
    assert (claim.address_line1, claim.city) == ("1 Main Street", "Spring field")
    for message in mailoutbox:
        assert "\nYour gift card: visit" not in message.body


def test_a_name_of_control_characters_only_is_refused(api, us_recall):
    response = submit(api, claim_payload(name="\r\n\t"))
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and "name" in response.json()["fields"]
    assert not Claim.objects.exists()


def test_a_claim_is_json_or_multipart_and_nothing_else(api, us_recall):
    form = urlencode(claim_payload())
    response = api.generic("POST", CLAIMS, form, content_type="application/x-www-form-urlencoded")

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert not Claim.objects.exists()


def test_a_file_field_in_json_is_not_a_file(api, us_recall):
    response = submit(api, claim_payload(proof_of_purchase="receipt.pdf"))

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["proof_of_purchase"]
    assert not Claim.objects.exists()
