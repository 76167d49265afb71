"""A return kit's whole path against a real Redis broker and a real worker process (PostgreSQL): the
order, the kit provider's signed webhook delivered by the worker, the CSV out and the tracking numbers
back, the kit shipped on the claim's API, the centre's confirmation, and the held remedy issued."""

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command

from claims.models import ClaimStatus, UnitCondition, hash_token
from core.models import OutboxMessage
from core.outbox import webhook_signature
from disposal.models import ReturnKit
from fulfilment.models import Replacement
from tests.disposal.test_return_kits import TOKEN, TOKYO, bearer, kit_url
from tests.factories import (
    ClaimFactory,
    MarketRuleFactory,
    RecalledBatchFactory,
    SerialRangeFactory,
    facility_with_token,
)
from tests.workers import Worker, require_postgres_and_redis, sender, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECRET = "kit-provider-secret"


@pytest.fixture
def broker_url():
    url = require_postgres_and_redis()
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def kit_provider():
    """A local HTTP receiver that keeps each webhook whose signature is the programme's, and answers
    401 to any other."""
    received: list[dict] = []

    class Provider(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = webhook_signature(secret=SECRET, timestamp=self.headers["X-Timestamp"], body=body)
            if self.headers["X-Signature"] != expected:
                self.send_response(401)
            else:
                received.append({"event_id": self.headers["X-Event-Id"], **json.loads(body)})
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/kits", received
    server.shutdown()


@pytest.fixture
def web_publishes_to(monkeypatch):
    """The test process publishes what services queue after commit to the worker's broker, as a web
    process does in production (the test settings would run it eagerly, in this process)."""

    def use(broker_url):
        client = sender(broker_url)

        def publish(task_name, **kwargs):
            client.send_task(
                task_name, kwargs=kwargs, queue=django_settings.CELERY_TASK_ROUTES[task_name]["queue"]
            )

        monkeypatch.setattr("core.dispatch._queue", publish)

    return use


def test_a_kit_ordered_shipped_and_returned_releases_the_held_remedy(
    broker_url, kit_provider, web_publishes_to, api, settings, tmp_path
):
    url, received = kit_provider
    settings.RETURN_KIT_WEBHOOK_URL, settings.RETURN_KIT_WEBHOOK_SECRET = url, SECRET
    web_publishes_to(broker_url)
    rule = MarketRuleFactory(
        country="JP",
        offers_gift_card=False,
        offers_replacement=True,
        return_by_mail=True,
        disposal_before_remedy=True,
    )
    batch = RecalledBatchFactory(recall=rule.recall, model__model_number="A1263", markets=["JP"])
    SerialRangeFactory(batch=batch)
    centre, centre_token = facility_with_token(
        "Tokyo Centre", country="JP", latitude=TOKYO[0], longitude=TOKYO[1]
    )
    claim = ClaimFactory(
        recall=rule.recall,
        model=batch.model,
        country="JP",
        remedy="replacement",
        status=ClaimStatus.AWAITING_DISPOSAL,
        city="Yokohama",  # a centre is near, but the unit is swollen: it must not be carried there
        unit_condition=UnitCondition.SWOLLEN,
        access_token_hash=hash_token(TOKEN),
    )
    worker = Worker(broker_url, "kits", RETURN_KIT_WEBHOOK_URL=url, RETURN_KIT_WEBHOOK_SECRET=SECRET)
    try:
        # Ordered: the worker delivers the provider's order, signed.
        assert api.post(kit_url(claim), headers=bearer()).status_code == 201
        wait_for(lambda: len(received) == 1, timeout=60, what="the kit provider to receive the order")
        order = received[0]
        assert order["topic"] == OutboxMessage.Topic.RETURN_KIT_ORDERED
        assert order["data"]["claim_reference"] == claim.reference
        assert order["data"]["return_to"]["name"] == "Tokyo Centre"
        message = OutboxMessage.objects.get(topic=OutboxMessage.Topic.RETURN_KIT_ORDERED)
        wait_for(
            lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.DELIVERED,
            timeout=30,
            what="the order to be marked delivered",
        )
        assert order["event_id"] == str(message.event_id)

        # The CSV out, the tracking numbers back: shipped on the claim's API.
        exported = tmp_path / "kits.csv"
        call_command("return_kits_export", "--output", str(exported), stderr=io.StringIO())
        (row,) = csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8")))
        assert (row["reference"], row["unit_condition"]) == (claim.reference, "swollen")
        tracking = tmp_path / "tracking.csv"
        tracking.write_text(f"reference,tracking_number,carrier\n{row['reference']},JP-4711,Japan Post\n")
        call_command("return_kits_import_tracking", str(tracking), stdout=io.StringIO())
        kit = api.get(f"/api/v1/claims/{claim.reference}/", headers=bearer()).json()["return_kit"]
        assert (kit["status"], kit["tracking_number"]) == ("shipped", "JP-4711")

        # The centre confirms the unit: the kit is returned and the worker orders the held replacement.
        confirmed = api.post(
            "/api/partner/v1/disposals/",
            {"claim_reference": claim.reference, "serial": claim.serial, "condition": "swollen"},
            format="json",
            headers={"Authorization": f"Token {centre_token}"},
        )
        assert confirmed.status_code == 201
        wait_for(
            lambda: Replacement.objects.filter(claim=claim).exists(),
            timeout=60,
            what="the worker to issue the held replacement",
        )
        answer = api.get(f"/api/v1/claims/{claim.reference}/", headers=bearer()).json()
        assert answer["return_kit"]["status"] == "returned"
        assert answer["status"] == ClaimStatus.FULFILLING
        assert answer["fulfilment"]["type"] == "replacement"
        assert ReturnKit.objects.get(claim=claim).returned_at is not None
    finally:
        worker.stop()
    assert len(received) == 1  # one order, delivered once
