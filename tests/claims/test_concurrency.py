"""Concurrent submissions on PostgreSQL: one claim per serial, one answer per Idempotency-Key.

Each thread is a client of its own with its own database connection, released together by a barrier,
so the requests really race in the database (the test transaction of the ``db`` fixture would hide that:
``transactional_db`` commits for real).
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, transaction
from rest_framework.test import APIClient

from claims.models import Claim, ClaimDocument, ClaimEvent, ClaimFlag
from claims.services import claim_lock
from core.models import IdempotencyRecord
from tests.claims.conftest import CLAIMS, claim_payload, recalled_serial, upload

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so nothing races",
    ),
]


def race(count: int, send) -> list[tuple[int, dict]]:
    """Run ``send(client)`` in ``count`` threads at once; the (status, body) of each response."""
    barrier = threading.Barrier(count)

    def one(_n: int) -> tuple[int, dict]:
        try:
            client = APIClient()
            barrier.wait(timeout=60)
            response = send(client)
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def race_numbered(numbers: range, send) -> list[tuple[int, dict]]:
    """``race`` with a number of its own for each request (``send(client, number)``): a serial each."""
    pending, lock = iter(numbers), threading.Lock()

    def one(client):
        with lock:
            number = next(pending)
        return send(client, number)

    return race(len(numbers), one)


def test_fifty_concurrent_claims_for_one_serial_make_one_claim(transactional_db, us_recall):
    # given fifty customers sending the same unit's serial at the same moment
    def send(client):
        payload = claim_payload(email=f"c{threading.get_ident()}@example.com")
        return client.post(CLAIMS, payload, format="json")

    results = race(50, send)

    # then exactly one claim was made and every other request was told why
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: 49}, statuses
    assert {body["code"] for status, body in results if status == 409} == {"duplicate_serial"}
    assert Claim.objects.count() == 1
    assert ClaimEvent.objects.filter(kind="submitted").count() == 1


def test_concurrent_claims_with_photos_leave_one_claims_files(transactional_db, us_recall, media, jpeg):
    def send(client):
        return client.post(
            CLAIMS, {**claim_payload(), "product_photo": upload(jpeg, "label.jpg")}, format="multipart"
        )

    results = race(20, send)

    assert Counter(status for status, _ in results) == {201: 1, 409: 19}
    document = ClaimDocument.objects.get()
    assert [p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()] == [document.file.name]


def test_twenty_concurrent_retries_with_one_key_get_one_answer(transactional_db, us_recall):
    # given a client whose retries all leave at once, with one Idempotency-Key
    def send(client):
        return client.post(CLAIMS, claim_payload(), format="json", headers={"Idempotency-Key": "one-key"})

    results = race(20, send)

    # then one claim was made and every response is that claim's 201, token included
    assert Claim.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    first_status, first_body = results[0]
    assert first_status == 201
    assert first_body["reference"] == Claim.objects.get().reference
    assert first_body["access_token"]
    assert all(result == (201, first_body) for result in results), Counter(s for s, _ in results)


def test_a_locked_claim_does_not_hold_up_new_claims_of_its_recall(transactional_db, us_recall):
    # given a claim locked by a long transaction (a worker issuing its remedy, an agent's action)
    existing = Claim.objects.get(
        reference=APIClient().post(CLAIMS, claim_payload(), format="json").json()["reference"]
    )
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                claim_lock(claim_id=existing.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    def submit_another():
        try:
            return APIClient().post(CLAIMS, claim_payload(serial=recalled_serial(43)), format="json")
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        # when another customer claims another unit of the same recall and model
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(submit_another)
            try:
                response = future.result(timeout=5)
            except TimeoutError:
                pytest.fail("the new claim waited for a lock on another claim (recall or model row locked)")
            finally:
                release.set()
    finally:
        release.set()
        holder.join()

    # then it was answered at once: the lock covers the claim's row, not its recall's or model's
    assert response.status_code == 201


def slow_checks(monkeypatch, seconds: float) -> None:
    """Each claim's transaction waits between saving the claim and looking for its like elsewhere."""
    import time

    from claims import fraud

    findings_for = fraud.findings_for

    def slowly(claim, documents):
        time.sleep(seconds)
        return findings_for(claim, documents)

    monkeypatch.setattr(fraud, "findings_for", slowly)


def test_claims_racing_with_one_receipt_are_all_flagged(transactional_db, us_recall, media, monkeypatch):
    # given customers sending the same receipt at the same moment, each for another unit, and each
    # claim's transaction slow between storing its receipt and looking for the same receipt elsewhere

    from tests.claims.conftest import image_bytes

    slow_checks(monkeypatch, 0.5)

    receipt = image_bytes("PNG", size=(80, 60))

    def send(client, number):
        payload = claim_payload(
            serial=recalled_serial(number),
            email=f"r{number}@example.com",
            address_line1=f"{number} Elm Street",
        )
        return client.post(
            CLAIMS,
            {**payload, "proof_of_purchase": upload(receipt, "receipt.png", "image/png")},
            format="multipart",
        )

    results = race_numbered(range(100, 106), send)

    # then each saw the ones before it: every claim with that receipt is flagged, and only the first,
    # which had no twin when it was decided, may have been approved (and fulfilled) before the others came
    assert Counter(status for status, _ in results) == {201: 6}
    for claim in Claim.objects.all():
        assert claim.flags.filter(reason="duplicate_receipt").exists(), claim.reference
    assert Claim.objects.filter(status="needs_review").count() >= 5


def test_claims_racing_from_one_e_mail_are_counted_against_each_other(
    transactional_db, us_recall, monkeypatch
):
    # given six claims from one e-mail at the same moment, each transaction slow before it counts the others

    slow_checks(monkeypatch, 0.3)

    def send(client, number):
        payload = claim_payload(
            serial=recalled_serial(number), email="farmer@example.com", address_line1=f"{number} Elm"
        )
        return client.post(CLAIMS, payload, format="json")

    results = race_numbered(range(300, 306), send)

    # then the one after the third saw three others, as it would have one by one, and held them all;
    # each claim is held once for it, whatever came after
    assert Counter(status for status, _ in results) == {201: 6}
    assert settings.CLAIMS_PER_CONTACT_BEFORE_REVIEW == 3
    flags = ClaimFlag.objects.filter(reason="many_claims_from_contact")
    assert sorted(flags.values_list("claim_id", flat=True)) == sorted(
        Claim.objects.values_list("pk", flat=True)
    )


def test_consecutive_serials_racing_from_different_contacts_are_all_held(
    transactional_db, us_recall, monkeypatch
):
    # given five consecutive serials sent at the same moment, each with its own e-mail and address
    # (the farm that was paid five times within 3 seconds)
    slow_checks(monkeypatch, 0.3)

    def send(client, number):
        payload = claim_payload(
            serial=recalled_serial(number), email=f"n{number}@example.com", address_line1=f"{number} Elm"
        )
        return client.post(CLAIMS, payload, format="json")

    results = race_numbered(range(5000, 5005), send)

    # then each saw the ones before it: every claim is flagged. Serials 5000, 5002 and 5004 are not
    # next to one another (NEIGHBOURING_SERIAL_DISTANCE is 1), so each may have come first in its own
    # neighbourhood and been approved (and its remedy issued) before its neighbours came; 5001 and 5003
    # wait for an agent whatever the order.
    assert settings.NEIGHBOURING_SERIAL_DISTANCE == 1
    assert Counter(status for status, _ in results) == {201: 5}
    for claim in Claim.objects.all():
        assert claim.flags.filter(reason="neighbouring_serials").exists(), claim.reference
    assert Claim.objects.filter(status="needs_review").count() >= 2
