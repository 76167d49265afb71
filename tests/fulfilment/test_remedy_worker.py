"""Exactly-once against a real Redis broker and real worker processes (PostgreSQL)."""

import os
import signal

import psycopg
import pytest
import redis
from django.db import connection

from claims.models import Claim, ClaimEvent, ClaimStatus
from fulfilment.models import GiftCard
from tests.factories import ClaimFactory
from tests.workers import RedisServer, Worker, require_postgres_and_redis, sender, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ISSUE = "fulfilment.tasks.remedy_issue_task"
SWEEP = "fulfilment.tasks.remedies_sweep"


@pytest.fixture
def broker_url():
    url = require_postgres_and_redis()
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def workers():
    started = []

    def start(broker_url, name, **kwargs):
        worker = Worker(broker_url, name, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def approved_claims(us_recall):
    model = us_recall.models.get()

    def make(count):
        return [
            ClaimFactory(recall=us_recall, model=model, status=ClaimStatus.APPROVED) for _ in range(count)
        ]

    return make


def all_fulfilled(claims) -> bool:
    return Claim.objects.filter(pk__in=[c.pk for c in claims], status=ClaimStatus.FULFILLED).count() == len(
        claims
    )


def assert_one_gift_card_each(claims):
    assert GiftCard.objects.filter(claim__in=claims).count() == len(claims)
    for claim in claims:
        assert claim.events.filter(kind=ClaimEvent.Kind.REMEDY_ISSUED).count() == 1


def test_duplicate_deliveries_and_two_racing_workers_issue_one_gift_card(
    broker_url, workers, approved_claims
):
    claims = approved_claims(30)
    workers(broker_url, "one")
    workers(broker_url, "two")
    client = sender(broker_url)
    for _round in range(3):  # every message delivered three times, to both workers
        for claim in claims:
            client.send_task(ISSUE, kwargs={"claim_id": claim.pk}, queue="remedies")
    wait_for(lambda: all_fulfilled(claims), timeout=60, what="all claims fulfilled")
    assert_one_gift_card_each(claims)


def _lock_gift_cards():
    """Hold the gift-card table so a worker blocks in the middle of issuing, its transaction open."""
    db = connection.settings_dict
    locker = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    locker.execute(f"LOCK TABLE {GiftCard._meta.db_table} IN ACCESS EXCLUSIVE MODE")
    return locker


def _a_backend_waits_on_the_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def test_pool_process_killed_mid_issue_the_claim_is_still_fulfilled_once(
    broker_url, workers, approved_claims
):
    (claim,) = approved_claims(1)
    worker = workers(broker_url, "victim", concurrency=1)
    locker = _lock_gift_cards()
    try:
        sender(broker_url).send_task(ISSUE, kwargs={"claim_id": claim.pk}, queue="remedies")
        wait_for(_a_backend_waits_on_the_lock, timeout=30, what="the worker to block mid-issue")
        for child in worker.children():
            os.kill(child, signal.SIGKILL)
    finally:
        locker.rollback()
        locker.close()
    # task_reject_on_worker_lost: the message goes back on the queue and a new pool process takes it.
    wait_for(lambda: all_fulfilled([claim]), timeout=60, what="the claim to be fulfilled")
    assert_one_gift_card_each([claim])


def test_whole_worker_killed_mid_issue_the_sweep_finishes_it(broker_url, workers, approved_claims):
    (claim,) = approved_claims(1)
    worker = workers(broker_url, "doomed", concurrency=1)
    locker = _lock_gift_cards()
    try:
        sender(broker_url).send_task(ISSUE, kwargs={"claim_id": claim.pk}, queue="remedies")
        wait_for(_a_backend_waits_on_the_lock, timeout=30, what="the worker to block mid-issue")
        worker.kill()  # the message stays unacknowledged in Redis until its visibility timeout
    finally:
        locker.rollback()
        locker.close()
    wait_for(
        lambda: not _a_backend_waits_on_the_lock(), timeout=30, what="the dead worker's transaction to end"
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED  # nothing of the killed attempt was committed
    workers(broker_url, "rescuer", REMEDY_SWEEP_AFTER_SECONDS="0")
    sender(broker_url).send_task(SWEEP, queue="remedies")
    wait_for(lambda: all_fulfilled([claim]), timeout=60, what="the sweep to fulfil the claim")
    assert_one_gift_card_each([claim])


def test_broker_restart_with_claims_queued_all_fulfilled_none_twice(workers, approved_claims):
    require_postgres_and_redis()
    broker = RedisServer()
    try:
        claims = approved_claims(20)
        client = sender(broker.url)
        for claim in claims:
            client.send_task(ISSUE, kwargs={"claim_id": claim.pk}, queue="remedies")
        # A restart of a broker that keeps nothing on disk loses every queued message.
        broker.stop()
        broker.start()
        worker = workers(broker.url, "after-restart", REMEDY_SWEEP_AFTER_SECONDS="0")
        client.send_task(SWEEP, queue="remedies")
        wait_for(lambda: all_fulfilled(claims), timeout=90, what="all claims fulfilled after the restart")
        # The worker survives a second restart and takes new work.
        broker.stop()
        broker.start()
        more = approved_claims(5)
        wait_for(lambda: worker.process.poll() is None, timeout=5, what="the worker to be alive")
        # Until the worker has reconnected and bound its queues again, the fresh server would drop
        # what is published (the sweep would then recover it; here the worker itself must take it).
        bindings = redis.Redis.from_url(broker.url)
        wait_for(
            lambda: bindings.exists("_kombu.binding.remedies"), timeout=60, what="the worker to reconnect"
        )
        for claim in more:
            client.send_task(ISSUE, kwargs={"claim_id": claim.pk}, queue="remedies")
        wait_for(lambda: all_fulfilled(more), timeout=90, what="new claims fulfilled after reconnecting")
        assert_one_gift_card_each(claims + more)
    finally:
        broker.stop()


def test_lost_message_is_picked_up_by_the_sweep(broker_url, workers, approved_claims):
    lost = approved_claims(3)  # approved, but their messages never reached the broker
    workers(broker_url, "sweeper", REMEDY_SWEEP_AFTER_SECONDS="0")
    sender(broker_url).send_task(SWEEP, queue="remedies")
    wait_for(lambda: all_fulfilled(lost), timeout=60, what="the sweep to fulfil the lost claims")
    assert_one_gift_card_each(lost)


def test_webhooks_and_their_duplicate_deliveries_reach_the_provider_once(
    broker_url, workers, approved_claims
):
    import threading
    from collections import Counter
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from core.models import OutboxMessage

    received = Counter()

    class Provider(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            received[self.headers["X-Event-Id"]] += 1
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = {
        "GIFT_CARD_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/hook",
        "GIFT_CARD_WEBHOOK_SECRET": "s",
    }
    try:
        claims = approved_claims(15)
        workers(broker_url, "one", **hook)
        workers(broker_url, "two", **hook)
        client = sender(broker_url)
        for claim in claims:
            client.send_task(ISSUE, kwargs={"claim_id": claim.pk}, queue="remedies")
        wait_for(lambda: all_fulfilled(claims), timeout=60, what="all claims fulfilled")
        hooks = OutboxMessage.objects.filter(topic=OutboxMessage.Topic.GIFT_CARD_ISSUED)
        wait_for(lambda: hooks.count() == 15, timeout=30, what="one webhook owed per card")
        # every webhook's first attempt delivered three more times, to both workers
        for message in hooks:
            for _ in range(3):
                client.send_task(
                    "core.tasks.outbox_deliver_task",
                    kwargs={"message_id": message.pk, "attempt": 0},
                    queue="notifications",
                )
        wait_for(
            lambda: not hooks.exclude(status="delivered").exists() and len(received) == 15,
            timeout=60,
            what="every webhook delivered",
        )
        wait_for(lambda: broker_idle(broker_url), timeout=30, what="the duplicates to be consumed")
    finally:
        server.shutdown()
    assert set(received.values()) == {1}  # each event once, duplicates and all
    assert set(received) == {str(m.event_id) for m in hooks}


def broker_idle(url) -> bool:
    client = redis.Redis.from_url(url)
    return all(client.llen(queue) == 0 for queue in ("remedies", "notifications", "default"))
