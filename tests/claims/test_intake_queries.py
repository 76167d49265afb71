"""What a claim's intake reads: everything it decides on comes from one lookup, and the answer is
written from what the intake read, not from rows read again."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.claims.conftest import submit

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
