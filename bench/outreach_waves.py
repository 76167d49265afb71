"""Recall-notice benchmark: a wave of a million owners planned, and e-mail notices sent per second by one
Celery worker, against a no-op task.

Two parts, on PostgreSQL (``DATABASE_URL``, migrated and loaded with the demo if needed) and, for the
sending, a Redis database of the bench's own (flushed at the start and at the end). Both use the demo
recall ANKER-2025-06-A1263 in Germany (the demo campaign of `make run` is the US one): N known owners of an A1263 are written with one
``INSERT .. SELECT generate_series`` (serials of the demo range AH2306 0000000000-0000999999, each owner
an e-mail, a phone and an address), a German campaign with the default waves is made with the models, and
the first wave (e-mail) is planned with ``outreach.services.wave_plan``, the task it queues patched out.
Writing the owners and the campaign is set-up, not timed.

(1) plan: N owners (default 1,000,000), one in 50 without an e-mail (the wave falls back to SMS for
    them), and claims that stop some: an open claim on the serial of one owner in 200, an open claim
    with the e-mail of another one in 200, a rejected claim (which stops nothing) on one in 1,000.
    Timed: ``wave_plan`` of the first wave, one statement. Printed: seconds, notices planned per second,
    the WAL written meanwhile (by the whole cluster: other jobs' too), the CPU time of this process, of its PostgreSQL backend and of everything else on
    the machine; then the statement's plan (EXPLAIN ANALYZE, for a wave made and rolled back after, so it
    doubles the part's time; ``--no-explain`` leaves it out).
(2) send: M owners (default 20,000), all by e-mail, planned as above. One worker with 2 prefork
    processes, as ``config/embedded.conf`` runs it, plus the bench's no-op task::

        celery -A config worker --loglevel INFO -c 2 -Q default,remedies,notifications -I bench.noop_tasks

    with ``config.settings.local`` (DEBUG off), e-mails written to files in a temporary ``VAR_DIR`` and
    ``NOTICE_SEND_BATCH`` notices a task (default 500). After a warm-up (no-op tasks, and send tasks
    while the campaign is paused, so they connect and find nothing due), each phase queues its tasks
    while the worker consumes nothing (its consumers are cancelled by remote control), then lets it
    consume again and times it:
    (a) no-op: M ``bench.noop_tasks.noop`` tasks, each adding one to a Redis counter;
    (b) notices: two ``outreach.tasks.notices_send_task`` (each batch queues the next while notices are
        due), timed until all M notices are 'sent'.
    Printed: both rates and their ratio, the CPU time of the worker's processes, of its PostgreSQL
    backends and of everything else during each phase (other load on the machine skews the rates), the
    worker's RSS sampled every second while it sends (first, max, last: it must stay flat) and its peak
    RSS (``VmHWM``). Checked: the mail files hold exactly M ``Message-ID: <notice-N@`` headers, one for
    each notice of the wave. With ``--profile K``, K more notices are then sent in this process, batch
    by batch, three times: without a profiler, under cProfile timing the wall clock and timing the CPU;
    where the time goes is printed.

What the bench made (owners, claims, notices, the campaign) is deleted at the end, on errors and on
Ctrl-C or SIGTERM too; the worker is stopped.

    .venv/bin/python bench/outreach_waves.py [--part plan|send|all] [--owners N] [--notices M]
        [--batch 500] [--profile K] [--broker-url redis://127.0.0.1:6379/12] [--timeout S]

Targets: a 1,000,000-owner wave planned in under 2 minutes; at least 300 e-mail notices/s. One run at a
time: the US campaign of the demo recall and the broker database are the bench's alone.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATABASE_URL,
    DEMO_PREFIX,
    DEMO_RANGE_SIZE,
    DEMO_WIDTH,
    Service,
    broker_database,
    broker_idle,
    celery_worker,
    database_label,
    delete_claims,
    flushed_redis,
    offline_environment,
    peak_rss_kib,
    print_table,
    recall_and_model,
    require_local,
    setup_django,
    wait_ready,
)
from bench.fulfilment import (
    Control,
    Phase,
    cpu_seconds,
    cpu_spent,
    machine_busy,
    queued,
    run_noops,
    worker_cpu,
)
from bench.noop_tasks import REDIS_URL_VARIABLE

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/12"
SEND_TASK = "outreach.tasks.notices_send_task"
CONCURRENCY = 2
SEND_TASKS = 2  # one chain of batches per pool process
APPLICATION_NAME = "bench-outreach-worker"
WORKER_ERROR = re.compile(r"ERROR/|CRITICAL/|^Traceback")
MESSAGE_ID = re.compile(rb"^Message-ID: <notice-(\d+)@", re.M)

COUNTRY = "DE"  # the demo campaign (make run) is the US one
SOURCE = "bench outreach_waves"  # the bench's owners, and nobody else's
EMAIL_DOMAIN = "owners.bench.example"
REFERENCE_PREFIX = "BENCHO-"  # and 9 digits: the 16 characters a reference may have
# The plan's owners: one in this many has no e-mail, and claims stop one in SERIAL_CLAIM_EVERY by the
# serial and one in EMAIL_CLAIM_EVERY by the e-mail; a rejected claim (no stop) on one in REJECTED_EVERY.
NO_EMAIL_EVERY, SERIAL_CLAIM_EVERY, EMAIL_CLAIM_EVERY, REJECTED_EVERY = 50, 200, 200, 1000
WARM_UP_NOOPS = 100
RSS_INTERVAL = 1.0
# The plan's lines left out of its summary: conditions, buffers, hash sizes, JIT.
PLAN_DETAIL = re.compile(
    r"\s*(Buffers|Filter|Hash Cond|Join Filter|Conflict|Buckets|Planning:|JIT|Functions|Options|Timing)"
)


# --- Owners, claims and the campaign ---------------------------------------------------------------


def owners_insert(count: int, *, first: int = 0, without_email_every: int = 0) -> float:
    """``count`` US owners of an A1263 in one statement, numbered from ``first`` (their serials wrap
    round the demo range), one in ``without_email_every`` without an e-mail; the seconds it took."""
    from django.db import connection

    recall, model = recall_and_model()
    no_email = f"n %% {without_email_every} = {without_email_every - 1}" if without_email_every else "false"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO outreach_knownowner (
                recall_id, model_id, source, name, email, phone, address_line1, city, postal_code,
                country, serial, covered, row_key, email_key, email_bounced, imported_at)
            SELECT %(recall)s, %(model)s, %(source)s, 'Owner ' || n,
                   CASE WHEN {no_email} THEN '' ELSE 'owner' || n || '@' || %(domain)s END,
                   '+1202555' || lpad((n %% 10000)::text, 4, '0'),
                   (n %% 9999 + 1) || ' Main Street', 'Springfield', lpad((n %% 100000)::text, 5, '0'),
                   %(country)s, %(prefix)s || lpad((n %% %(range)s)::text, %(width)s, '0'), true,
                   md5(%(source)s || ':' || n),
                   CASE WHEN {no_email} THEN '' ELSE 'owner' || n || '@' || %(domain)s END,
                   false, now()
            FROM generate_series(%(first)s, %(last)s) AS n
            """,  # noqa: S608 - only the bench's own integer is formatted in
            {
                "recall": recall.pk,
                "model": model.pk,
                "source": SOURCE,
                "domain": EMAIL_DOMAIN,
                "country": COUNTRY,
                "prefix": DEMO_PREFIX,
                "range": DEMO_RANGE_SIZE,
                "width": DEMO_WIDTH,
                "first": first,
                "last": first + count - 1,
            },
        )
        # The planner's statistics for a table a million rows bigger, as autovacuum leaves them soon.
        cursor.execute("ANALYZE outreach_knownowner")
    return time.perf_counter() - started


def owner_serial(n: int) -> str:
    return f"{DEMO_PREFIX}{n % DEMO_RANGE_SIZE:0{DEMO_WIDTH}d}"


def owner_email(n: int) -> str:
    return f"owner{n}@{EMAIL_DOMAIN}"


def bench_owners():
    from outreach.models import KnownOwner

    recall, _ = recall_and_model()
    return KnownOwner.objects.filter(recall=recall, source=SOURCE)


@dataclass
class Stops:
    claims: int = 0
    by_serial: int = 0
    by_email: int = 0
    others: int = 0  # owners whose serial has an open claim the bench did not make

    @property
    def total(self) -> int:
        return self.by_serial + self.by_email + self.others


def claims_create(count: int) -> Stops:
    """Claims of some of the ``count`` owners: open ones on a serial or with an e-mail (the stop rules
    skip those owners) and rejected ones (they do not); serials that have an open claim already are
    left to it, and counted."""
    from django.db import transaction

    from claims.contacts import email_key
    from claims.models import RELEASED_STATUSES, Claim, ClaimStatus
    from recalls.models import Remedy

    recall, model = recall_and_model()
    numbers = range(min(count, DEMO_RANGE_SIZE))
    taken = set(
        Claim.objects.filter(model=model, serial__gte=owner_serial(0), serial__lte=owner_serial(numbers[-1]))
        .exclude(status__in=RELEASED_STATUSES)
        .values_list("serial", flat=True)
    )
    stops = Stops(others=len(taken))
    claims = []

    def claim(n: int, **fields) -> Claim:
        # The contact key as claim_submit sets it: every claim has one until its data is erased.
        return Claim(
            email_key=email_key(fields["email"]),
            reference=f"{REFERENCE_PREFIX}{len(claims):09d}",
            recall=recall,
            model=model,
            country=COUNTRY,
            remedy=Remedy.GIFT_CARD,
            customer_name=f"Owner {n}",
            address_line1="1 Main Street",
            city="Springfield",
            postal_code="12345",
            language="en",
            access_token_hash="0" * 64,
            **fields,
        )

    for n in numbers:
        serial = owner_serial(n)
        if serial in taken:
            continue
        if n % SERIAL_CLAIM_EVERY == 0:
            claims.append(claim(n, serial=serial, status=ClaimStatus.APPROVED, email=f"other{n}@example.com"))
            stops.by_serial += 1
        elif n % EMAIL_CLAIM_EVERY == EMAIL_CLAIM_EVERY // 4 and n % NO_EMAIL_EVERY != NO_EMAIL_EVERY - 1:
            # A proof-only claim with the owner's e-mail: no serial, so it can only stop by the e-mail.
            email = owner_email(n)
            claims.append(claim(n, serial="", email=email, status=ClaimStatus.NEEDS_REVIEW))
            stops.by_email += 1
        elif n % REJECTED_EVERY == REJECTED_EVERY // 10:
            claims.append(claim(n, serial=serial, status=ClaimStatus.REJECTED, email=f"other{n}@example.com"))
    with transaction.atomic():
        Claim.objects.bulk_create(claims, batch_size=2000)
    stops.claims = len(claims)
    return stops


def bench_claims():
    from claims.models import Claim

    return Claim.objects.filter(reference__startswith=REFERENCE_PREFIX)


def campaign_create(daily_limit: int):
    """The US campaign, running, with the default waves, as ``campaign_start`` makes it (without
    planning its first wave); the campaign and that wave."""
    from django.utils import timezone

    from outreach.models import DEFAULT_WAVES, Campaign, Wave

    recall, _ = recall_and_model()
    campaign = Campaign.objects.create(
        recall=recall,
        country=COUNTRY,
        status=Campaign.Status.RUNNING,
        started_at=timezone.now(),
        daily_limit=daily_limit,
    )
    Wave.objects.bulk_create(
        Wave(campaign=campaign, number=number, day=day, channel=channel)
        for number, (day, channel) in enumerate(DEFAULT_WAVES, start=1)
    )
    return campaign, campaign.waves.get(number=1)


def market_campaign():
    from outreach.models import Campaign

    recall, _ = recall_and_model()
    return Campaign.objects.filter(recall=recall, country=COUNTRY).first()


def check_market_free() -> None:
    """The German market must be the bench's: another's owners would be planned and sent to, and a campaign
    may be one per market. A campaign that reaches only the bench's owners is an earlier run's."""
    from outreach.models import Campaign, KnownOwner, Notice

    campaign = market_campaign()
    others = (
        Notice.objects.filter(wave__campaign=campaign).exclude(owner__source=SOURCE).exists()
        if campaign
        else False
    )
    if campaign is not None and (others or not bench_owners().exists()):
        raise SystemExit(
            f"The {campaign} campaign exists and is not the bench's: use a database of the bench's own."
        )
    recall, _ = recall_and_model()
    strangers = KnownOwner.objects.filter(recall=recall, country=COUNTRY).exclude(source=SOURCE).count()
    if strangers:
        raise SystemExit(
            f"{strangers:,} known {COUNTRY} owners of {recall.code} are not the bench's: they would be sent to."
        )
    running = (
        Notice.objects.filter(status=Notice.Status.PENDING, wave__campaign__status=Campaign.Status.RUNNING)
        .exclude(wave__campaign__recall=recall, wave__campaign__country=COUNTRY)
        .exists()
    )
    if running:
        raise SystemExit("Another running campaign has notices due: its notices would be sent too.")


def cleanup() -> tuple[int, int, int]:
    """The campaign (its waves and notices), the bench's owners and claims, in a few statements;
    notices, owners and claims deleted."""
    from django.db import connection, transaction

    recall, _ = recall_and_model()
    notices = owners = 0
    with transaction.atomic(), connection.cursor() as cursor:
        campaign = market_campaign()
        if campaign is not None:
            cursor.execute(
                "DELETE FROM outreach_notice WHERE wave_id IN (SELECT id FROM outreach_wave WHERE campaign_id = %s)",
                [campaign.pk],
            )
            notices = cursor.rowcount
            cursor.execute("DELETE FROM outreach_wave WHERE campaign_id = %s", [campaign.pk])
            cursor.execute("DELETE FROM outreach_campaign WHERE id = %s", [campaign.pk])
        # Notices of the bench's owners in no campaign of the market: none, unless a run was cut short
        # between its statements.
        cursor.execute(
            "DELETE FROM outreach_notice WHERE owner_id IN "
            "(SELECT id FROM outreach_knownowner WHERE recall_id = %s AND source = %s)",
            [recall.pk, SOURCE],
        )
        notices += cursor.rowcount
        cursor.execute(
            "DELETE FROM outreach_knownowner WHERE recall_id = %s AND source = %s", [recall.pk, SOURCE]
        )
        owners = cursor.rowcount
    claims = delete_claims(bench_claims())[3]
    if notices + owners > 100_000:
        with connection.cursor() as cursor:  # leave the tables as small as they were for the next run
            cursor.execute("VACUUM (ANALYZE) outreach_notice, outreach_knownowner")
    return notices, owners, claims


# --- PostgreSQL ------------------------------------------------------------------------------------


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def wal_lsn() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return cursor.fetchone()[0]


def wal_bytes(before: str, after: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(%s, %s)", [after, before])
        return int(cursor.fetchone()[0])


def worker_backends() -> list[int]:
    """The PostgreSQL backends of the worker's sessions (they are on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME])
        return sorted(pid for (pid,) in cursor.fetchall())


class BackendCpu:
    """CPU time of the worker's PostgreSQL backends during a phase: of those open at its start from
    then, of those opened during it (Celery's fix-up renews a process's connection every
    CELERY_DB_REUSE_MAX tasks) from their start; sampled, so a backend that ends loses its last second."""

    def __init__(self) -> None:
        self.first = self._read()
        self.last = dict(self.first)

    @staticmethod
    def _read() -> dict[int, float]:
        times = {}
        for pid in worker_backends():
            with contextlib.suppress(OSError):  # gone meanwhile
                times[pid] = cpu_seconds(pid)
        return times

    def sample(self) -> None:
        self.last.update(self._read())

    @property
    def spent(self) -> float:
        return sum(seconds - self.first.get(pid, 0.0) for pid, seconds in self.last.items())


def plan_explained(wave) -> list[str]:
    """EXPLAIN ANALYZE of the planning statement for a wave made for it in a transaction rolled back
    after, so it writes what the real first planning wrote; its deferred foreign-key checks made
    immediate, so that their time is in the plan. Without the planner's cost estimates."""
    from django.db import connection, transaction

    from outreach.models import Wave
    from outreach.services import _plan_sql

    campaign = wave.campaign
    with transaction.atomic():
        probe = Wave.objects.create(campaign=campaign, number=99, day=wave.day, channel=wave.channel)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                f"EXPLAIN (ANALYZE, BUFFERS, WAL) {_plan_sql(wave.channel)}",
                [probe.pk, campaign.recall_id, campaign.country],
            )
            lines = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return [re.sub(r"  \(cost=[^)]*\)", "", line) for line in lines if not PLAN_DETAIL.match(line)]


# --- Part 1: planning ------------------------------------------------------------------------------


@dataclass
class PlanResult:
    owners: int
    insert_seconds: float
    stops: Stops
    planned: int
    seconds: float
    wal: int
    cpu_bench: float
    cpu_backend: float
    cpu_machine: float
    by_channel: dict[str, int]
    explain: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.planned / self.seconds


def plan(owners: int, *, explain: bool) -> PlanResult:
    from django.db.models import Count

    from outreach.services import wave_plan

    print(f"Set-up: {owners:,} owners in one INSERT .. SELECT generate_series ...", flush=True)
    insert_seconds = owners_insert(owners, without_email_every=NO_EMAIL_EVERY)
    stops = claims_create(owners)
    _, wave = campaign_create(daily_limit=max(100_000, owners))
    print(
        f"  {owners:,} owners in {insert_seconds:.1f} s (and ANALYZE); {stops.claims:,} claims: "
        f"{stops.by_serial:,} on an owner's serial, {stops.by_email:,} with an owner's e-mail, the rest "
        f"rejected; {stops.others:,} owners' serials with an open claim already"
    )
    print(f"Timed: wave_plan of {wave} ...", flush=True)
    pid = backend_pid()
    lsn = wal_lsn()
    cpu_before = (time.process_time(), cpu_seconds(pid), machine_busy())
    with mock.patch("outreach.services.queue_after_commit"):  # nothing is sent in this part
        started = time.perf_counter()
        planned = wave_plan(wave=wave)
        seconds = time.perf_counter() - started
    cpu_after = (time.process_time(), cpu_seconds(pid), machine_busy())
    wal = wal_bytes(lsn, wal_lsn())
    by_channel = dict(
        wave.notices.values_list("channel")
        .annotate(n=Count("pk"))
        .order_by("channel")
        .values_list("channel", "n")
    )
    result = PlanResult(
        owners, insert_seconds, stops, planned, seconds, wal, *cpu_spent(cpu_before, cpu_after), by_channel
    )
    if explain:
        print("EXPLAIN ANALYZE of the statement, rolled back ...", flush=True)
        result.explain = plan_explained(wave)
    return result


def plan_report(result: PlanResult) -> bool:
    cpus = os.cpu_count() or 1
    print_table(
        "Planning the first wave (e-mail; one INSERT .. SELECT with the stop rules)",
        ["owners", "notices planned", "stopped", "seconds", "notices/s", "WAL (cluster)"],
        [
            [
                f"{result.owners:,}",
                f"{result.planned:,}",
                f"{result.owners - result.planned:,}",
                f"{result.seconds:.2f}",
                f"{result.rate:,.0f}",
                f"{result.wal / 2**20:,.0f} MiB",
            ]
        ],
    )
    rest = result.cpu_machine - result.cpu_bench - result.cpu_backend
    print(
        f"\nCPU time while planning ({cpus} CPUs): its PostgreSQL backend {result.cpu_backend:.2f} s, "
        f"this process {result.cpu_bench:.2f} s, everything else (other PostgreSQL processes, other jobs) "
        f"{rest:.2f} s; machine busy {result.cpu_machine / (cpus * result.seconds):.0%}"
    )
    print("Notices by channel: " + ", ".join(f"{c} {n:,}" for c, n in result.by_channel.items()))
    if result.explain:
        print(
            "\nEXPLAIN ANALYZE of the statement (run after for a wave rolled back; foreign keys checked at once):"
        )
        for line in result.explain:
            print(f"  {line}")
    expected = result.owners - result.stops.total
    print("\nTarget: a 1,000,000-owner wave planned in under 2 minutes: ", end="")
    if result.owners >= 1_000_000:
        print("met" if result.seconds < 120 else "NOT met")
    else:
        print(f"{result.owners:,} owners only; at this rate a million take {1_000_000 / result.rate:.0f} s")
    ok = result.planned == expected
    print(
        f"Check ({'passed' if ok else 'FAILED'}): {result.planned:,} notices planned, expected {expected:,} "
        f"({result.owners:,} owners less {result.stops.total:,} stopped by open claims)"
    )
    return ok


# --- Part 2: sending -------------------------------------------------------------------------------


def with_application_name(url: str) -> str:
    """The database URL with the worker's ``application_name``, to find its sessions."""
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}application_name={APPLICATION_NAME}"))


def start_worker(*, node: str, broker_url: str, database_url: str, var_dir: Path, batch: int) -> Service:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0"),
        "DATABASE_URL": with_application_name(database_url),
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
        "NOTICE_SEND_BATCH": str(batch),
        **offline_environment(var_dir),
        REDIS_URL_VARIABLE: broker_url,
    }
    return celery_worker(
        "the worker",
        node=node,
        env=env,
        log=var_dir / "worker.log",
        concurrency=CONCURRENCY,
        options=["-I", "bench.noop_tasks"],
    )


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pending(wave) -> int:
    """Notices of the wave still pending (counted from the partial index of pending notices)."""
    from outreach.models import Notice

    return Notice.objects.filter(wave=wave, status=Notice.Status.PENDING).count()


def sent_count(wave) -> int:
    from outreach.models import Notice

    return Notice.objects.filter(wave=wave, status=Notice.Status.SENT).count()


@dataclass
class SendPhase(Phase):
    cpu_backends: float = 0.0
    backends: list[int] = field(default_factory=list)
    rss: dict[int, list[int]] = field(default_factory=dict)  # pid: KiB, a sample a second


def run_notices(control: Control, redis_client, wave, count: int, *, timeout: float) -> SendPhase:
    control.pause()
    published_in = control.publish(SEND_TASK, ({} for _ in range(SEND_TASKS)), queue="notifications")
    queued(redis_client, "notifications", SEND_TASKS)
    backends = BackendCpu()
    cpu_before = worker_cpu(control.worker)
    pids = control.worker.pids()
    rss: dict[int, list[int]] = {pid: [rss_kib(pid)] for pid in pids}
    started = control.resume("notifications")
    deadline, next_sample = started + timeout, started + RSS_INTERVAL
    while pending(wave):
        now = time.monotonic()
        if now >= next_sample:
            for pid in pids:
                rss[pid].append(rss_kib(pid))
            backends.sample()
            next_sample += RSS_INTERVAL
        control.worker.check_alive("sending notices")
        if now > deadline:
            raise RuntimeError(
                f"timed out after {timeout:.0f} s: {pending(wave):,} notices pending\n{control.worker.log_tail()}"
            )
        time.sleep(0.1)  # the count costs PostgreSQL CPU that the worker would otherwise have
    finished = time.monotonic()
    cpu_after = worker_cpu(control.worker)
    backends.sample()
    for pid in pids:
        rss[pid].append(rss_kib(pid))
    # The last batch queued one more task, which finds nothing due: let it run before the next phase.
    control.worker.wait_for(lambda: broker_idle(redis_client), timeout=30, what="the last send task")
    spent = cpu_spent(cpu_before, cpu_after)
    return SendPhase(
        count, published_in, finished - started, *spent, backends.spent, sorted(backends.last), rss
    )


def mailed(mail_dir: Path) -> Counter:
    """Copies of each notice in the mail files, by the notice's Message-ID."""
    copies: Counter = Counter()
    for path in mail_dir.iterdir():
        copies.update(int(n) for n in MESSAGE_ID.findall(path.read_bytes()))
    return copies


@dataclass
class SendResult:
    noop: Phase
    notices: SendPhase
    sent: int
    notice_ids: set[int]
    copies: Counter
    peak_rss: dict[int, int]
    main_pid: int
    errors: list[str]
    batch: int
    profile: ProfileResult | None = None


def send(args, *, database_url: str, var_dir: Path) -> SendResult:
    from config.celery import app
    from outreach.models import Campaign
    from outreach.services import wave_plan

    count = args.notices
    mail_dir = var_dir / "mail"
    mail_dir.mkdir(exist_ok=True)
    print(f"Set-up: {count:,} owners, all by e-mail ...", flush=True)
    owners_insert(count)
    campaign, wave = campaign_create(daily_limit=max(100_000, 2 * (count + 3 * args.profile)))
    with mock.patch("outreach.services.queue_after_commit"):  # the bench queues the sending itself
        planned = wave_plan(wave=wave)
    if planned != count:
        raise RuntimeError(
            f"{planned:,} notices planned, not {count:,}: claims on the demo range stop some owners"
        )
    print(f"  {planned:,} notices planned in {wave}")

    redis_client = flushed_redis(args.broker_url)
    node = f"bench-outreach-{os.getpid()}@{socket.gethostname()}"
    worker = start_worker(
        node=node, broker_url=args.broker_url, database_url=database_url, var_dir=var_dir, batch=args.batch
    )
    try:
        print(f"Worker: {' '.join(['celery', *worker.command[1:]])}; NOTICE_SEND_BATCH={args.batch}")
        wait_ready(worker)
        with app.connection_for_write(args.broker_url) as broker:
            control = Control(app, broker, worker, node)
            # Warm-up with the campaign paused: the send tasks import and connect, and send nothing.
            print(f"Warm-up: {WARM_UP_NOOPS} no-op tasks, {SEND_TASKS} send tasks with nothing due ...")
            run_noops(control, redis_client, WARM_UP_NOOPS, timeout=args.timeout, pause=False)
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
            for _ in range(SEND_TASKS):
                app.send_task(SEND_TASK, queue="notifications", connection=broker)
            worker.wait_for(lambda: broker_idle(redis_client), timeout=args.timeout, what="the warm-up")
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RUNNING)
            pool_before = worker.pids()
            print(f"Phase (a): {count:,} no-op tasks ...", flush=True)
            noop = run_noops(control, redis_client, count, timeout=args.timeout)
            print(f"Phase (b): {count:,} notices, {SEND_TASKS} send tasks to start ...", flush=True)
            notices = run_notices(control, redis_client, wave, count, timeout=args.timeout)
        pool_after = worker.pids()
        if pool_after != pool_before:
            print(f"Note: the worker's processes changed during the phases: {pool_before} -> {pool_after}")
        peak = {pid: peak_rss_kib(pid) for pid in pool_after}
        errors = worker.lines_matching(WORKER_ERROR)
    finally:
        worker.stop()
        redis_client.flushdb()
    result = SendResult(
        noop=noop,
        notices=notices,
        sent=sent_count(wave),
        notice_ids=set(wave.notices.values_list("pk", flat=True)),
        copies=mailed(mail_dir),
        peak_rss=peak,
        main_pid=worker.process.pid,
        errors=errors,
        batch=args.batch,
    )
    if args.profile:
        result.profile = profile_send(wave, count, args.profile, args.batch, var_dir / "profile-mail")
    return result


# --- The send path under cProfile -----------------------------------------------------------------

# Where a batch's time goes: (label, file name ending, function), cumulative time of each.
PROFILE_PARTS = [
    ("notices_send, all of it", "outreach/services.py", "notices_send"),
    ("  _take (lock, lease, read the batch)", "outreach/services.py", "_take"),
    ("  _stop_claimed", "outreach/services.py", "_stop_claimed"),
    ("  _text (the notice's text)", "outreach/services.py", "_text"),
    ("    render_to_string", "django/template/loader.py", "render_to_string"),
    ("    notice_link (signed link)", "outreach/services.py", "notice_link"),
    ("  _send_email", "outreach/services.py", "_send_email"),
    ("    EmailMessage.send (MIME, the file)", "django/core/mail/message.py", "send"),
    ("    _mark_sent (UPDATE, commit)", "outreach/services.py", "_mark_sent"),
    ("SQL: Django's cursor, all", "django/db/backends/utils.py", "_execute"),
    ("SQL: waiting for PostgreSQL", "psycopg/connection.py", "wait"),
]
TOP_FUNCTIONS = 12


@dataclass
class Round:
    """One round of the profile: K notices sent in this process, under a profiler or not."""

    timer: str  # "none", "wall" or "CPU"
    notices: int
    seconds: float
    cpu: float
    parts: dict[str, float] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)


@dataclass
class ProfileResult:
    rounds: list[Round]


def top_functions(profiler: cProfile.Profile) -> list[str]:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(TOP_FUNCTIONS)
    text = out.getvalue()
    lines = [line for line in text[text.find("ncalls") :].splitlines() if line.strip()]
    root = str(Path(sys.prefix))
    return [line.replace(f"{root}/lib/python3.{sys.version_info[1]}/site-packages/", "") for line in lines]


def profile_send(wave, offset: int, count: int, batch: int, mail_dir: Path) -> ProfileResult:
    """Three rounds of ``count`` more owners planned into the wave (planning again adds only theirs),
    sent here by ``notices_send`` batch after batch, its re-queueing patched out: without a profiler,
    under cProfile timing the wall clock (waiting counts), and timing the CPU (it does not)."""
    from django.test import override_settings

    from outreach.services import notices_send, wave_plan

    rounds = []
    mail_dir.mkdir()
    for number, timer in enumerate(("none", "wall", "CPU")):
        print(f"Profile: {count:,} more notices sent in this process, profiler: {timer} ...", flush=True)
        owners_insert(count, first=offset + number * count)  # numbered after the worker's
        with mock.patch("outreach.services.queue_after_commit"):
            added = wave_plan(wave=wave)
        if added != count:
            raise RuntimeError(f"{added:,} notices planned for the profile, not {count:,}")
        profiler = None
        if timer != "none":
            profiler = cProfile.Profile(time.perf_counter if timer == "wall" else time.process_time)
        sent = 0
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                EMAIL_FILE_PATH=str(mail_dir),
            ),
            mock.patch("outreach.services.queue_after_commit"),
        ):
            started, cpu_started = time.perf_counter(), time.process_time()
            while sent < count:
                if profiler is not None:
                    profiler.enable()
                done = notices_send(limit=batch)
                if profiler is not None:
                    profiler.disable()
                if not done:
                    break
                sent += done
            result = Round(timer, sent, time.perf_counter() - started, time.process_time() - cpu_started)
        if profiler is not None:
            stats = pstats.Stats(profiler).stats
            for label, filename, function in PROFILE_PARTS:
                result.parts[label] = sum(
                    entry[3]
                    for (file, _line, name), entry in stats.items()
                    if name == function and file.endswith(filename)
                )
            result.top = top_functions(profiler)
        rounds.append(result)
    return ProfileResult(rounds)


# --- Report of the sending ------------------------------------------------------------------------


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def send_report(result: SendResult) -> bool:
    noop, notices = result.noop, result.notices
    ratio = notices.rate / noop.rate
    print_table(
        "Throughput (one worker, 2 prefork processes; from resuming the worker until all are done)",
        ["phase", "tasks", "published in", "done in", "per second"],
        [
            [
                "no-op tasks",
                f"{noop.tasks:,}",
                f"{noop.published_in:.2f} s",
                f"{noop.seconds:.2f} s",
                f"{noop.rate:,.0f}",
            ],
            [
                f"e-mail notices ({result.batch} a task)",
                f"{notices.tasks:,}",
                f"{notices.published_in:.2f} s",
                f"{notices.seconds:.2f} s",
                f"{notices.rate:,.0f}",
            ],
        ],
    )
    cpus = os.cpu_count() or 1
    print(f"\nCPU time during each phase ({cpus} CPUs), a task or a notice:")
    for label, phase, backends in (("no-op tasks", noop, None), ("notices", notices, notices.cpu_backends)):
        worker = phase.cpu_main + phase.cpu_pool
        rest = phase.cpu_machine - worker - phase.cpu_bench - (backends or 0.0)
        database = (
            f"its PostgreSQL backends {backends / phase.tasks * 1000:.2f} ms; "
            if backends is not None
            else ""
        )
        print(
            f"  {label}: worker main process {phase.cpu_main / phase.tasks * 1000:.2f} ms, "
            f"pool processes {phase.cpu_pool / phase.tasks * 1000:.2f} ms; {database}"
            f"{'other PostgreSQL processes, ' if backends is not None else 'PostgreSQL, '}Redis and any other "
            f"process {rest / phase.tasks * 1000:.2f} ms; machine busy {phase.cpu_machine / (cpus * phase.seconds):.0%}"
        )
    print(f"  (the worker's PostgreSQL backends: {', '.join(map(str, notices.backends)) or 'none found'})")
    print(f"\nNotices / no-op: {ratio:.2f}")
    print(f"  target 300 e-mail notices/s: {'met' if notices.rate >= 300 else 'NOT met'}")

    print(f"\nRSS of the worker while sending, a sample every {RSS_INTERVAL:.0f} s (first, max, last):")
    rows = []
    for pid, samples in notices.rss.items():
        role = "main" if pid == result.main_pid else "pool"
        rows.append([f"{role} {pid}", mib(samples[0]), mib(max(samples)), mib(samples[-1]), len(samples)])
    sums = [sum(column) for column in zip(*notices.rss.values(), strict=True)]
    rows.append(["sum", mib(sums[0]), mib(max(sums)), mib(sums[-1]), len(sums)])
    print_table("", ["process", "first", "max", "last", "samples"], rows)
    growth = sums[-1] - sums[0]
    flat = growth <= max(20 * 1024, 0.1 * sums[0])  # a page cache or an allocator's arena, not a leak
    print(f"  growth first to last: {mib(growth)} ({'flat' if flat else 'GROWING'})")
    parts = [f"main {result.main_pid}: {mib(result.peak_rss[result.main_pid])}"] + [
        f"pool {pid}: {mib(kib)}" for pid, kib in result.peak_rss.items() if pid != result.main_pid
    ]
    print(f"Peak RSS of the worker (VmHWM): {'; '.join(parts)}; sum {mib(sum(result.peak_rss.values()))}")

    copies = result.copies
    headers = sum(copies.values())
    exact = set(copies) == result.notice_ids and headers == len(result.notice_ids)
    ok = result.sent == notices.tasks and exact and flat and not result.errors
    print(f"\nChecks ({'all passed' if ok else 'FAILED'}):")
    print(f"  notices sent: {result.sent:,} of {notices.tasks:,}")
    print(
        f"  Message-ID headers in the mail files: {headers:,}, {len(copies):,} distinct, "
        f"{'exactly the wave' if exact else 'NOT exactly the wave'}'s {len(result.notice_ids):,} notices"
    )
    print(f"  errors in the worker's log: {len(result.errors)}")
    for line in result.errors[:10]:
        print(f"    {line}")
    if result.profile is not None:
        profile_report(result.profile, worker_rate=notices.rate)
    return ok


def profile_report(profile: ProfileResult, *, worker_rate: float) -> None:
    plain, wall, cpu = profile.rounds
    print(
        f"\nIn this process, one batch after another: {plain.notices:,} notices in {plain.seconds:.2f} s "
        f"({plain.notices / plain.seconds:,.0f}/s; {plain.seconds / plain.notices * 1000:.2f} ms a notice, "
        f"{plain.cpu / plain.notices * 1000:.2f} ms of it CPU) without a profiler; the worker did "
        f"{worker_rate:,.0f}/s with two processes"
    )
    print(
        f"Under cProfile: {wall.seconds / wall.notices * 1000:.2f} ms a notice timing the wall clock, "
        f"{cpu.seconds / cpu.notices * 1000:.2f} ms timing the CPU (the profiler inflates Python work)"
    )
    total_wall, total_cpu = (r.parts["notices_send, all of it"] for r in (wall, cpu))
    print_table(
        "Where notices_send spends its time (cumulative, a notice: wall clock, and CPU of this process)",
        ["part", "wall ms", "share", "CPU ms", "share"],
        [
            [
                label,
                f"{wall.parts[label] / wall.notices * 1000:.3f}",
                f"{wall.parts[label] / total_wall:.0%}",
                f"{cpu.parts[label] / cpu.notices * 1000:.3f}",
                f"{cpu.parts[label] / total_cpu:.0%}",
            ]
            for label, _, _ in PROFILE_PARTS
        ],
    )
    for title, round_ in (("wall clock", wall), ("CPU", cpu)):
        print(f"\nTop functions by own time ({title}):")
        for line in round_.top:
            print(f"  {line}")


# --- Main ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["plan", "send", "all"], default="all", help="default all")
    parser.add_argument(
        "--owners", type=int, default=1_000_000, help="owners of the plan part (default 1,000,000)"
    )
    parser.add_argument(
        "--notices", type=int, default=20_000, help="notices of the send part (default 20,000)"
    )
    parser.add_argument(
        "--batch", type=int, default=500, help="NOTICE_SEND_BATCH of the worker (default 500)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="K", help="K notices sent here under cProfile"
    )
    parser.add_argument("--no-explain", action="store_true", help="no EXPLAIN ANALYZE after planning")
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL, help=f"default {DEFAULT_BROKER_URL}")
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds a send phase may take (default 600)"
    )
    args = parser.parse_args()
    if args.owners < 1 or args.notices < 1 or args.batch < 1 or args.profile < 0:
        parser.error("--owners, --notices and --batch must be positive")
    if max(args.owners, args.notices + 3 * args.profile) > DEMO_RANGE_SIZE:
        parser.error(f"one serial of the demo range an owner: {DEMO_RANGE_SIZE:,} owners at most")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the clean-up runs on kill too
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    database_url = os.environ["DATABASE_URL"]
    require_local(database_url, "PostgreSQL")
    require_local(args.broker_url, "The broker")
    broker_database(args.broker_url)
    os.environ["CELERY_BROKER_URL"] = args.broker_url  # this process publishes on the bench's broker
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    with tempfile.TemporaryDirectory(prefix="bench-outreach-") as var_name:
        var_dir = Path(var_name)
        os.environ.update(offline_environment(var_dir))  # this process's e-mails (the profile's) too
        setup_django()
        from django.db import connection

        if connection.vendor != "postgresql":
            raise SystemExit("Point DATABASE_URL at PostgreSQL: the worker processes share the database.")
        check_market_free()
        left_over = cleanup()
        if any(left_over):
            print(
                "Deleted what an earlier run left: {:,} notices, {:,} owners, {:,} claims.".format(*left_over)
            )
        flushed_redis(args.broker_url)
        print(f"Database: {database_label()}; broker {args.broker_url} (flushed)")
        ok = True
        if args.part in ("plan", "all"):
            try:
                result = plan(args.owners, explain=not args.no_explain)
            finally:
                print(
                    "Cleaning up: {:,} notices, {:,} owners, {:,} claims deleted.".format(*cleanup()),
                    flush=True,
                )
            ok &= plan_report(result)
        if args.part in ("send", "all"):
            try:
                sent = send(args, database_url=database_url, var_dir=var_dir)
            finally:
                flushed_redis(args.broker_url)
                print(
                    "Cleaning up: {:,} notices, {:,} owners, {:,} claims deleted; broker flushed.".format(
                        *cleanup()
                    ),
                    flush=True,
                )
            ok &= send_report(sent)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
