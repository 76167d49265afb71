"""What a claim's intake reads: everything it decides on comes from one lookup, and the answer is
written from what the intake read, not from rows read again."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from tests.claims.conftest import claim_payload, recalled_serial, submit

pytestmark = pytest.mark.django_db


def test_a_claim_is_decided_from_one_lookup_and_answered_without_reading_its_recall_again(api, us_recall):
    with CaptureQueriesContext(connection) as queries:
        answer = submit(api)

    assert answer.status_code == 201, answer.json()
    assert answer.json()["recall"] == us_recall.code
    # What each SELECT reads first (PostgreSQL's advisory locks read no table).
    reads = [re.match(r'SELECT .*?FROM "?(\w+)"?', q["sql"].strip(), re.DOTALL) for q in queries]
    tables = [read.group(1) for read in reads if read]
    assert tables.count("recalls_productmodel") == 1  # the model, its covering batch and rule at once
    assert "recalls_recall" not in tables and "recalls_recalledbatch" not in tables


def test_a_claim_approved_as_it_is_taken_writes_its_submission_and_approval_in_one_insert(api, us_recall):
    with CaptureQueriesContext(connection) as queries:
        answer = submit(api)

    assert answer.json()["status"] == "approved"
    event_inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "claims_claimevent"')]
    assert len(event_inserts) == 1
    claim = Claim.objects.get(reference=answer.json()["reference"])
    assert [(e.kind, e.old_status, e.new_status) for e in claim.events.order_by("created_at", "pk")] == [
        ("submitted", "", "needs_review"),
        ("status_changed", "needs_review", "approved"),
    ]


def test_a_held_claim_is_submitted_before_it_is_flagged(api, us_recall, settings):
    settings.CLAIMS_PER_CONTACT_BEFORE_REVIEW = 1
    submit(api)
    answer = submit(api, claim_payload(serial=recalled_serial(2)))

    assert answer.json()["status"] == "needs_review"
    claim = Claim.objects.get(reference=answer.json()["reference"])
    assert [e.kind for e in claim.events.order_by("created_at", "pk")][0] == "submitted"
    assert claim.flags.get().reason == "many_claims_from_contact"
