"""The remedies' sweep, field by field: what it queues, in which order, and what it writes on each claim."""

import datetime

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimStatus
from fulfilment.services import remedies_sweep_due, remedy_failure_record
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(us_recall, settings):
    settings.REMEDY_SWEEP_AFTER_SECONDS = 60
    settings.RETRY_MAX_ATTEMPTS = 3
    model = us_recall.models.get()

    def make(minutes_ago: int, *, attempts: int = 0, status=ClaimStatus.APPROVED):
        claim = ClaimFactory(recall=us_recall, model=model, status=status)
        Claim.objects.filter(pk=claim.pk).update(
            remedy_retry_at=timezone.now() - datetime.timedelta(minutes=minutes_ago), remedy_attempts=attempts
        )
        return claim

    return make


def test_the_oldest_due_go_first_and_each_waits_twice_as_long_as_before(
    due, django_capture_on_commit_callbacks
):
    newer, older = due(1, attempts=1), due(10)
    not_yet = due(-5)

    before = timezone.now()
    with django_capture_on_commit_callbacks() as queued:
        assert remedies_sweep_due() == [older.pk, newer.pk]
    assert len(queued) == 2

    for claim in (older, newer, not_yet):
        claim.refresh_from_db()
    assert (older.remedy_attempts, newer.remedy_attempts, not_yet.remedy_attempts) == (1, 2, 0)
    # 60 s doubled once per attempt: 120 s after the first, 240 s after the second
    assert (
        before + datetime.timedelta(seconds=119)
        < older.remedy_retry_at
        < before + datetime.timedelta(seconds=125)
    )
    assert (
        before + datetime.timedelta(seconds=239)
        < newer.remedy_retry_at
        < before + datetime.timedelta(seconds=245)
    )
    assert older.remedy_failed_at is None


def test_the_last_attempt_is_dead_lettered_and_not_queued(due, django_capture_on_commit_callbacks):
    failing = due(5, attempts=2)

    with django_capture_on_commit_callbacks() as queued:
        assert remedies_sweep_due() == []
    assert queued == []

    failing.refresh_from_db()
    assert (failing.remedy_attempts, failing.remedy_retry_at) == (3, None)
    assert failing.remedy_failed_at is not None


def test_a_claim_no_longer_due_is_dropped_from_the_sweep(due):
    gone = due(5, status=ClaimStatus.CANCELLED)

    assert remedies_sweep_due() == []

    gone.refresh_from_db()
    assert (gone.remedy_retry_at, gone.remedy_attempts) == (None, 0)


def test_a_failure_is_kept_for_supervisors_in_one_line(due):
    claim = due(5)

    remedy_failure_record(claim_id=claim.pk, exc=RuntimeError("provider said no " + "x" * 400))

    claim.refresh_from_db()
    assert claim.remedy_last_error.startswith("RuntimeError: provider said no")
    assert len(claim.remedy_last_error) == 300
