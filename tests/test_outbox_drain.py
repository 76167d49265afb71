"""New outbox messages are delivered by one drain of the outbox, queued once for all of them."""

import math
import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from core import dispatch, outbox
from core.models import DeliveryAttempt, OutboxMessage
from incidents.notifications import staff_email_owe

pytestmark = pytest.mark.django_db


def owe(n: int) -> OutboxMessage:
    return staff_email_owe(to=[f"sup{n}@example.com"], subject=f"Warning {n}", body="An incident is due.")


@pytest.fixture(autouse=True)
def no_drain_queued():
    """These tests raise the flag for real: no test starts or leaves it up (the next test's commits
    would queue no drain)."""
    cache.delete(dispatch.OUTBOX_DRAIN_QUEUED)
    yield
    cache.delete(dispatch.OUTBOX_DRAIN_QUEUED)


@pytest.fixture
def queued(monkeypatch, settings):
    """The tasks queued after a commit, by name, instead of sent to the broker; the flag as deployed."""
    settings.OUTBOX_DRAIN_QUEUED_SECONDS = 2
    names: list[str] = []

    def queue(task_name, **kwargs):
        names.append(task_name)
        return True

    monkeypatch.setattr(dispatch, "_queue", queue)
    return names


@pytest.fixture
def mail_connections(monkeypatch):
    """Each mail connection the drain opens: the e-mails sent through it, the times it was closed."""
    opened: list[dict[str, int]] = []
    real = outbox.get_connection

    def get_connection():
        connection, counts = real(), {"sent": 0, "closed": 0}
        send, close = connection.send_messages, connection.close

        def counted(messages):
            counts["sent"] += len(messages)
            return send(messages)

        def closed():
            counts["closed"] += 1
            return close()

        connection.send_messages, connection.close = counted, closed
        opened.append(counts)
        return connection

    monkeypatch.setattr(outbox, "get_connection", get_connection)
    return opened


def test_messages_owed_while_a_drain_waits_queue_no_other_and_share_its_mail_connection(
    queued, mail_connections, mailoutbox, django_capture_on_commit_callbacks
):
    # given three e-mails owed in three transactions, the first queueing the drain
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            owe(n)

    # then one drain was queued for all three
    assert queued == [dispatch.OUTBOX_DRAIN]

    # when it runs, it sends each once, in the order owed, through one mail connection
    assert outbox.outbox_drain() == 3
    assert [m.subject for m in mailoutbox] == ["Warning 0", "Warning 1", "Warning 2"]
    assert mail_connections == [{"sent": 3, "closed": 1}]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("delivered", 1)}
    assert DeliveryAttempt.objects.count() == 3

    # and a message owed once it has started queues a drain of its own
    with django_capture_on_commit_callbacks(execute=True):
        owe(3)
    assert queued == [dispatch.OUTBOX_DRAIN] * 2


def test_a_drain_makes_only_first_attempts_and_never_one_twice(queued, mailoutbox):
    first, retried = owe(1), owe(2)
    OutboxMessage.objects.filter(pk=retried.pk).update(attempts=1)  # waits for its retry, the sweep's

    assert outbox.outbox_drain() == 1
    assert outbox.outbox_drain() == 0  # taken and delivered: a second drain finds nothing

    assert [m.to for m in mailoutbox] == [["sup1@example.com"]]
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("delivered", 1)
    assert OutboxMessage.objects.get(pk=retried.pk).status == "pending"


def test_a_message_that_fails_is_retried_later_and_the_connection_is_opened_afresh_for_the_next(
    queued, mail_connections, mailoutbox, monkeypatch
):
    failing, after = owe(1), owe(2)
    real_send = outbox._send

    def send(message):
        if message.pk == failing.pk:
            outbox.outbox_mail_connection().send_messages([])  # the connection is in use when it breaks
            raise ConnectionResetError("the SMTP server hung up")
        return real_send(message)

    monkeypatch.setattr(outbox, "_send", send)

    assert outbox.outbox_drain() == 2

    failing.refresh_from_db()
    assert (failing.status, failing.attempts, failing.last_error) == (
        "pending",
        1,
        "ConnectionResetError: the SMTP server hung up",
    )
    assert failing.next_attempt_at is not None  # the sweep makes the next attempt at its time
    assert [m.subject for m in mailoutbox] == ["Warning 2"]
    assert OutboxMessage.objects.get(pk=after.pk).status == "delivered"
    # closed after the failure (Django's SMTP backend opens it again to send the next) and at the end
    assert mail_connections == [{"sent": 1, "closed": 2}]


def test_a_drain_the_broker_refused_is_queued_again_by_the_next_message(
    monkeypatch, django_capture_on_commit_callbacks
):
    attempts: list[str] = []

    def down(task_name, **kwargs):
        attempts.append(task_name)
        return False

    monkeypatch.setattr(dispatch, "_queue", down)

    for n in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            owe(n)

    assert attempts == [dispatch.OUTBOX_DRAIN] * 2
    assert cache.get(dispatch.OUTBOX_DRAIN_QUEUED) is None


def test_with_the_cache_down_every_commit_queues_its_drain_and_nothing_fails(
    queued, monkeypatch, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    def down(*args, **kwargs):
        raise ConnectionError("the cache is unreachable")

    with monkeypatch.context() as patched:  # the cache is back before the flag is cleared
        patched.setattr(dispatch.cache, "add", down)
        patched.setattr(dispatch.cache, "delete", down)

        for n in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                owe(n)

        assert queued == [dispatch.OUTBOX_DRAIN] * 2
        assert outbox.outbox_drain() == 2
    assert len(mailoutbox) == 2
    assert "cache.unavailable" in caplog.text


def test_a_drain_out_of_time_gives_back_what_it_took_and_queues_the_next(queued, mailoutbox, monkeypatch):
    for n in range(3):
        owe(n)
    real_attempt = outbox._attempt

    def attempt_then_run_out_of_time(message):
        real_attempt(message)
        # the outbox's own clock only: the drain's time is up after its first send
        monkeypatch.setattr(outbox, "time", SimpleNamespace(monotonic=lambda: math.inf, time=time.time))

    monkeypatch.setattr(outbox, "_attempt", attempt_then_run_out_of_time)

    assert outbox.outbox_drain() == 1

    assert [m.subject for m in mailoutbox] == ["Warning 0"]
    assert sorted(OutboxMessage.objects.values_list("status", "attempts")) == [
        ("delivered", 1),
        ("pending", 0),
        ("pending", 0),
    ]
    assert queued == [dispatch.OUTBOX_DRAIN]


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL): SQLite plans differ"
)
def test_a_drain_reads_the_new_messages_alone_however_many_retries_wait():
    # given 3,000 messages waiting for a retry (an SMTP outage) and 5 new ones
    waiting = [
        OutboxMessage(topic=OutboxMessage.Topic.STAFF_EMAIL, payload={}, attempts=1, next_attempt_at=None)
        for _ in range(3000)
    ]
    OutboxMessage.objects.bulk_create(waiting)
    new = [owe(n) for n in range(5)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_outboxmessage")

    # when the drain's read of its next batch is planned and run
    query = outbox.new_messages(limit=outbox.DRAIN_BATCH)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0][0]["Plan"]

    # then it finds the 5 and reads no row of the 3,000 it would have to pass over
    assert [m.pk for m in query] == [m.pk for m in new]

    def removed(node) -> int:
        own = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        return own + sum(removed(child) for child in node.get("Plans", []))

    assert removed(plan) == 0
