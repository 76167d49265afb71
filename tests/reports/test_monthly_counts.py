"""What the monthly report counts where it happens: a claim's channel, status-link requests, and serial
checks buffered per process and added to the day's tally."""

import datetime

import pytest
import time_machine
from django.core.cache import cache

from claims.models import Claim
from reports.models import SerialCheckTally, StatusLinkRequest
from reports.tallies import DailyTally, serial_checks
from tests.claims.conftest import claim_payload
from tests.claims.test_pages import claim_data
from tests.factories import ClaimFactory, MarketRuleFactory

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/serial-checks/"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    serial_checks.discard()
    yield
    serial_checks.discard()
    cache.clear()


def test_claims_record_their_channel(api, client, us_recall):
    assert api.post("/api/v1/claims/", claim_payload(), format="json").status_code == 201
    assert (
        client.post("/claim/", claim_data(serial="AH23060000000043", email="bo@example.com")).status_code
        == 302
    )
    assert sorted(Claim.objects.values_list("email", "channel")) == [
        ("bo@example.com", "web"),
        ("jane@example.com", "api"),
    ]


def test_status_link_requests_are_counted_per_recall_and_channel(api, client, us_recall):
    other = MarketRuleFactory(country="US").recall
    ClaimFactory(recall=us_recall, email="ann@example.com")
    ClaimFactory(recall=other, email="ann@example.com")
    ClaimFactory(recall=us_recall, email="ann@example.com")
    assert api.post("/api/v1/status-links/", {"email": "ann@example.com"}, format="json").status_code == 202
    assert client.post("/status/links/", {"email": "ANN@example.com"}).status_code == 200
    # An address without claims is not a customer of any recall: nothing to count.
    assert (
        api.post("/api/v1/status-links/", {"email": "nobody@example.com"}, format="json").status_code == 202
    )
    assert sorted(StatusLinkRequest.objects.values_list("recall__code", "channel")) == sorted(
        [(us_recall.code, "api"), (other.code, "api"), (us_recall.code, "web"), (other.code, "web")]
    )


@time_machine.travel(datetime.datetime(2026, 8, 31, 23, 59, 59, tzinfo=datetime.UTC), tick=False)
def test_serial_checks_are_buffered_then_added_to_the_days_tally(api, us_recall):
    recalled = {"model_number": "A1263", "serial": "AH23060000000042", "country": "US"}
    not_recalled = {"model_number": "A1263", "serial": "AH23070000000042", "country": "DE"}
    for body in (recalled, recalled, not_recalled):
        assert api.post(CHECK, body, format="json").status_code == 200
    assert not SerialCheckTally.objects.exists()  # nothing written on the request's path
    assert serial_checks.flush() == 2
    with time_machine.travel(datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC), tick=False):
        api.post(CHECK, recalled, format="json")
    api.post(CHECK, recalled, format="json")
    assert serial_checks.flush() == 2
    assert serial_checks.flush() == 0
    model_id = us_recall.models.get().pk
    assert sorted(
        SerialCheckTally.objects.values_list("day", "model_id", "country", "recall_code", "checks")
    ) == [
        (datetime.date(2026, 8, 31), model_id, "DE", "", 1),
        (datetime.date(2026, 8, 31), model_id, "US", us_recall.code, 3),
        (datetime.date(2026, 9, 1), model_id, "US", us_recall.code, 1),
    ]


def test_a_flush_the_database_refuses_keeps_the_counts_for_the_next(us_recall, monkeypatch):
    from reports import tallies

    tally = DailyTally()
    key = (datetime.date(2026, 8, 1), us_recall.models.get().pk, "US", us_recall.code)
    tally.add(key)
    tally.add(key)

    def refused(counts):
        raise RuntimeError("database away")

    monkeypatch.setattr(tallies, "_upsert", refused)
    assert tally.flush() == 0
    assert tally.pending() == {key: 2}
    monkeypatch.undo()
    tally.add(key)
    assert tally.flush() == 1
    assert SerialCheckTally.objects.get().checks == 3


def test_the_thread_flushes_every_few_seconds(settings, us_recall, transactional_db):
    settings.SERIAL_CHECK_TALLY_SECONDS = 0.05
    tally = DailyTally()
    key = (datetime.date(2026, 8, 1), us_recall.models.get().pk, "US", us_recall.code)
    tally.add(key)
    for _ in range(100):
        if SerialCheckTally.objects.exists():
            break
        threading_sleep(0.05)
    tally._stop.set()
    assert SerialCheckTally.objects.get().checks == 1


def threading_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)
