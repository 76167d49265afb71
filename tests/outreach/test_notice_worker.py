"""Recall notices against a real Redis broker and real worker processes (PostgreSQL): a worker killed
mid-wave and a broker restart leave every owner notified once."""

import re
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from outreach.models import Notice, Wave
from outreach.services import NOTICES_SEND_TASK, campaign_start
from tests.outreach.test_campaigns import owner  # noqa: F401 - the fixture
from tests.workers import RedisServer, Worker, require_postgres_and_redis, sender, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SWEEP = "outreach.tasks.notices_sweep_task"
OWNERS = 1500


@pytest.fixture
def broker_url():
    url = require_postgres_and_redis()
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def start_worker(mail_dir):
    started = []

    def start(url: str, name: str, **env: str) -> Worker:
        worker = Worker(
            url,
            name,
            TEST_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
            NOTICE_SEND_BATCH="100",
            NOTICE_SEND_LEASE_SECONDS="3",
            **env,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def wave(owner, us_recall, settings):  # noqa: F811
    for _ in range(OWNERS):
        owner()
    # Planned here (inline), sent by the workers: the test process queues nothing itself.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from unittest import mock

    with mock.patch("outreach.services.queue_after_commit"):
        campaign = campaign_start(recall=us_recall, country="US")
    planned = Wave.objects.get(campaign=campaign, number=1)
    assert planned.notices.count() == OWNERS
    return planned


def mailed(mail_dir: Path) -> Counter:
    """How many copies of each notice the mail files hold, by the notice's Message-ID."""
    copies: Counter = Counter()
    for path in mail_dir.iterdir():
        copies.update(int(n) for n in re.findall(r"^Message-ID: <notice-(\d+)@", path.read_text(), re.M))
    return copies


def sent() -> int:
    return Notice.objects.filter(status=Notice.Status.SENT).count()


def assert_each_owner_notified_once(wave: Wave, mail_dir: Path) -> None:
    notices = set(wave.notices.values_list("pk", flat=True))
    assert set(wave.notices.values_list("status", flat=True)) == {Notice.Status.SENT}
    copies = mailed(mail_dir)
    assert set(copies) == notices  # every owner's notice is in the mail, and nothing else
    # A worker killed between the mail server's answer and its commit sends that one notice again, with
    # the same Message-ID (one message in the owner's mailbox): at most one per killed sender.
    assert sum(copies.values()) - len(copies) <= 2, {n: c for n, c in copies.items() if c > 1}


def test_a_worker_killed_mid_wave_leaves_every_owner_notified_once(broker_url, start_worker, wave, mail_dir):
    victim = start_worker(broker_url, "notice-victim")
    sender(broker_url).send_task(NOTICES_SEND_TASK, queue="notifications")
    wait_for(lambda: sent() >= 200, timeout=60, what="the wave to be partly sent")
    victim.kill()
    assert sent() < OWNERS, "the wave was sent before the worker could be killed"
    rescuer = start_worker(broker_url, "notice-rescuer")
    # The killed worker's task is unacknowledged in Redis until its visibility timeout; the beat's
    # sweep sets sending off again once the dead sender's lease has run out.
    sweep_until_sent(broker_url)
    assert rescuer.process.poll() is None
    assert_each_owner_notified_once(wave, mail_dir)


def test_a_broker_restart_loses_no_notice(start_worker, wave, mail_dir):
    require_postgres_and_redis()
    broker = RedisServer()
    try:
        sender(broker.url).send_task(NOTICES_SEND_TASK, queue="notifications")
        broker.stop()  # the queued task is gone with the broker's memory
        broker.start()
        start_worker(broker.url, "notice-after-restart")
        sweep_until_sent(broker.url)
        assert_each_owner_notified_once(wave, mail_dir)
    finally:
        broker.stop()


def sweep_until_sent(url: str, *, timeout: float = 120) -> None:
    """Send the beat's sweep every few seconds, as the beat does, until the whole wave is sent."""
    deadline = time.monotonic() + timeout
    while sent() < OWNERS:
        assert time.monotonic() < deadline, f"timed out: {sent()} of {OWNERS} notices sent"
        sender(url).send_task(SWEEP, queue="notifications")
        time.sleep(2)
