"""Fulfilment benchmark: gift cards issued per second by one Celery worker, against a no-op task.

One worker with 2 prefork processes, as ``config/embedded.conf`` runs it, plus the bench's no-op task::

    celery -A config worker --loglevel INFO -c 2 -Q default,remedies,notifications -I bench.noop_tasks

on a Redis database of the bench's own (flushed at the start and at the end) and PostgreSQL
(``DATABASE_URL``, migrated and loaded with the demo if needed). The worker runs with
``config.settings.local`` (DEBUG off, as the other benches), e-mails written to files in a temporary
``VAR_DIR`` and no gift-card webhook, so nothing leaves 127.0.0.1. After a warm-up, each phase queues
its N tasks while the worker consumes nothing (its consumers are cancelled by remote control), then
lets it consume again and times it until all N are done:

(1) no-op: N ``bench.noop_tasks.noop`` tasks, each adding one to a Redis counter;
(2) gift cards: N approved gift-card claims of the demo recall ANKER-2025-06-A1263 (A1263, US, distinct
    serials from a free block of the demo range AH2306 0000000000-0000999999), one
    ``fulfilment.tasks.remedy_issue_task`` each on the ``remedies`` queue, timed until all N claims are
    fulfilled; the "fulfilled" e-mails they queue on ``notifications`` are timed too.

It prints both rates and their ratio, checks that there is exactly one gift card per claim, counts the
PostgreSQL sessions opened during the gift-card phase (``pg_stat_database.sessions`` for the database,
and the worker's own sessions, marked by ``application_name``), prints the CPU time of the worker's
processes and of everything else on the machine during each phase (other load there skews the rates)
and the peak RSS (``VmHWM``) of the worker's processes, and deletes what it made. The worker is
stopped at the end, on errors and on Ctrl-C or SIGTERM too.

    .venv/bin/python bench/fulfilment.py [--tasks N] [--broker-url redis://127.0.0.1:6379/13] [--timeout S]

Targets: 300 gift cards/s, and at least 0.4 of the no-op rate. One run at a time: the broker database
and the claims it makes are the bench's alone.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATABASE_URL,
    QUEUES,
    Service,
    broker_database,
    broker_idle,
    celery_worker,
    count_mails,
    database_label,
    delete_claims,
    demo_serial,
    flushed_redis,
    free_block,
    offline_environment,
    peak_rss_kib,
    print_table,
    recall_and_model,
    require_local,
    setup_django,
    wait_ready,
)
from bench.noop_tasks import COUNTER_KEY, REDIS_URL_VARIABLE
from bench.noop_tasks import NAME as NOOP_TASK

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/13"
REMEDY_TASK = "fulfilment.tasks.remedy_issue_task"
CONCURRENCY = 2
APPLICATION_NAME = "bench-fulfilment-worker"
WORKER_ERROR = re.compile(r"ERROR/|CRITICAL/|^Traceback")

COUNTRY = "US"
REFERENCE_PREFIX = "BENCHF-"  # and 9 digits: the 16 characters a reference may have
BENCH_EMAIL = "fulfilment-bench@example.invalid"
EVENTS_PER_CARD = 3  # approved -> fulfilling, remedy issued, fulfilling -> fulfilled
WARM_UP_NOOPS, WARM_UP_CARDS = 100, 20
CONTROL_TIMEOUT = 5.0
BRPOP_TIMEOUT = 1.0  # kombu's Redis transport waits this long in BRPOP: let a cancelled one run out


def with_application_name(url: str) -> str:
    """The database URL with the worker's ``application_name``, to tell its sessions from others'."""
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}application_name={APPLICATION_NAME}"))


# --- The worker ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all CPUs of the machine spent not idle so far."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def start_worker(*, node: str, broker_url: str, database_url: str, var_dir: Path) -> Service:
    """One worker as ``config/embedded.conf`` runs it, plus the bench's no-op task, its log in ``var_dir``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0"),
        "DATABASE_URL": with_application_name(database_url),
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
        # E-mails as files in the bench's own directory; no webhook to an outside provider.
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


def worker_cpu(worker: Service) -> tuple[float, float, float, float]:
    """CPU seconds so far: the worker's main process, its pool processes, the machine, this bench."""
    main, *pool = worker.pids()
    return cpu_seconds(main), sum(cpu_seconds(pid) for pid in pool), machine_busy(), time.process_time()


class Control:
    """Publishes to the bench's broker over one explicit connection, and pauses and resumes the worker.

    The connection is given explicitly: Celery lets a CELERY_BROKER_URL in the environment win over
    any other broker.
    """

    def __init__(self, app, connection, worker: Service, node: str) -> None:
        self.app, self.connection, self.worker, self.node = app, connection, worker, node

    def _command(self, method: str, queue: str) -> None:
        replies = getattr(self.app.control, method)(
            queue,
            destination=[self.node],
            reply=True,
            timeout=CONTROL_TIMEOUT,
            connection=self.connection,
        )
        if not replies:
            raise RuntimeError(f"the worker did not answer {method}({queue!r})")

    def pause(self) -> None:
        """Stop consuming from every queue, and wait out a BRPOP that was under way."""
        for queue in QUEUES:
            self._command("cancel_consumer", queue)
        time.sleep(BRPOP_TIMEOUT + 0.5)

    def resume(self, first: str) -> float:
        """Consume again, from ``first`` first; the monotonic time just before."""
        started = time.monotonic()
        for queue in sorted(QUEUES, key=lambda q: q != first):
            self._command("add_consumer", queue)
        return started

    def publish(self, name: str, kwargs: Iterable[dict], *, queue: str) -> float:
        started = time.monotonic()
        for task_kwargs in kwargs:
            self.app.send_task(name, kwargs=task_kwargs, queue=queue, connection=self.connection)
        return time.monotonic() - started


# --- Claims ----------------------------------------------------------------------------------------


def bench_claims():
    from claims.models import Claim

    return Claim.objects.filter(reference__startswith=REFERENCE_PREFIX)


def delete_bench_claims() -> tuple[int, int, int]:
    """Events, gift cards and claims deleted."""
    events, cards, _, claims = delete_claims(bench_claims())
    return events, cards, claims


def create_claims(first_serial: int, first_index: int, count: int) -> list[int]:
    """``count`` approved gift-card claims, as an agent's approval leaves them (with the terms their
    market offers); their ids."""
    from django.db import transaction
    from django.utils import timezone

    from claims.models import Claim, ClaimStatus
    from recalls.models import MarketRule, Remedy

    recall, model = recall_and_model()
    rule = MarketRule.objects.get(recall=recall, country=COUNTRY)
    accepted_at = timezone.now()
    claims = [
        Claim(
            reference=f"{REFERENCE_PREFIX}{first_index + i:09d}",
            recall=recall,
            model=model,
            serial=demo_serial(first_serial + i),
            country=COUNTRY,
            remedy=Remedy.GIFT_CARD,
            status=ClaimStatus.APPROVED,
            serial_recalled=True,
            customer_name="Fulfilment Bench",
            email=BENCH_EMAIL,
            address_line1="1 Bench Street",
            city="Springfield",
            postal_code="12345",
            language="en",
            access_token_hash="0" * 64,
            terms_remedy=Remedy.GIFT_CARD,
            terms_amount=rule.gift_card_amount,
            terms_currency=rule.gift_card_currency,
            terms_accepted_at=accepted_at,
        )
        for i in range(count)
    ]
    with transaction.atomic():
        return [claim.pk for claim in Claim.objects.bulk_create(claims, batch_size=1000)]


def fulfilled_count(ids: list[int]) -> int:
    from claims.models import ClaimStatus

    return bench_claims().filter(pk__gte=min(ids), pk__lte=max(ids), status=ClaimStatus.FULFILLED).count()


@dataclass
class CardCheck:
    fulfilled: int
    cards: int
    claims_with_card: int
    codes: int
    events: int
    first_to_last_issued: float


def check_cards(ids: list[int]) -> CardCheck:
    from django.db.models import Count, Max, Min

    from claims.models import ClaimEvent
    from fulfilment.models import GiftCard

    cards = GiftCard.objects.filter(claim_id__in=ids)
    figures = cards.aggregate(
        cards=Count("pk"),
        claims=Count("claim_id", distinct=True),
        codes=Count("code", distinct=True),
        first=Min("issued_at"),
        last=Max("issued_at"),
    )
    span = (figures["last"] - figures["first"]).total_seconds() if figures["cards"] else 0.0
    return CardCheck(
        fulfilled=fulfilled_count(ids),
        cards=figures["cards"],
        claims_with_card=figures["claims"],
        codes=figures["codes"],
        events=ClaimEvent.objects.filter(claim_id__in=ids).count(),
        first_to_last_issued=span,
    )


# --- PostgreSQL sessions ---------------------------------------------------------------------------


def database_sessions() -> int:
    """Sessions ever established to this database (all clients), as the statistics have them now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def database_now():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def worker_sessions() -> set[tuple[int, object]]:
    """The worker's open sessions: (backend pid, backend start)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE application_name = %s",
            [APPLICATION_NAME],
        )
        return {(pid, started) for pid, started in cursor.fetchall()}


@dataclass
class Sessions:
    database_delta: int = 0
    worker_at_start: set = field(default_factory=set)
    worker_at_end: set = field(default_factory=set)
    worker_seen: set = field(default_factory=set)
    phase_start: object = None

    @property
    def worker_opened(self) -> int:
        return sum(1 for _, started in self.worker_seen if started >= self.phase_start)


# --- Phases ----------------------------------------------------------------------------------------


@dataclass
class Phase:
    tasks: int
    published_in: float
    seconds: float
    # CPU seconds during the phase: the worker's main process, its pool processes, the machine, this bench
    cpu_main: float = 0.0
    cpu_pool: float = 0.0
    cpu_machine: float = 0.0
    cpu_bench: float = 0.0

    @property
    def rate(self) -> float:
        return self.tasks / self.seconds


def cpu_spent(before: tuple[float, ...], after: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(b - a for a, b in zip(before, after, strict=True))


def queued(redis_client, queue: str, expected: int) -> None:
    length = redis_client.llen(queue)
    if length != expected:
        raise RuntimeError(f"{length} messages on {queue} while the worker was paused, not {expected}")


def run_noops(control: Control, redis_client, count: int, *, timeout: float, pause: bool = True) -> Phase:
    done_before = int(redis_client.get(COUNTER_KEY) or 0)
    if pause:
        control.pause()
    published_in = control.publish(NOOP_TASK, ({} for _ in range(count)), queue="default")
    cpu_before = worker_cpu(control.worker)
    if pause:
        queued(redis_client, "default", count)
        started = control.resume("default")
    else:
        started = time.monotonic() - published_in
    finished = control.worker.wait_for(
        lambda: int(redis_client.get(COUNTER_KEY) or 0) - done_before >= count,
        timeout=timeout,
        interval=0.005,
        what=f"{count:,} no-op tasks",
    )
    cpu_after = worker_cpu(control.worker)
    return Phase(count, published_in, finished - started, *cpu_spent(cpu_before, cpu_after))


def run_cards(
    control: Control, redis_client, ids: list[int], mail_dir: Path, *, timeout: float, measure: bool = True
) -> tuple[Phase, Phase, Sessions]:
    """Gift cards until all claims are fulfilled, and until their e-mails are written too."""
    count = len(ids)
    mails_before = count_mails(mail_dir)
    sessions = Sessions()
    if measure:
        control.pause()
    published_in = control.publish(REMEDY_TASK, ({"claim_id": pk} for pk in ids), queue="remedies")
    if measure:
        queued(redis_client, "remedies", count)
        sessions_before = database_sessions()
        sessions.worker_at_start = worker_sessions()
        sessions.phase_start = database_now()
        cpu_before = worker_cpu(control.worker)
        started = control.resume("remedies")
    else:
        started = time.monotonic() - published_in
    deadline = started + timeout
    fulfilled_at = mailed_at = None
    next_sample = started
    while mailed_at is None:
        now = time.monotonic()
        if fulfilled_at is None and fulfilled_count(ids) >= count:
            fulfilled_at = now
        # A remedy task queues its e-mail before it is acknowledged: an idle broker means all were sent.
        if (
            fulfilled_at is not None
            and broker_idle(redis_client)
            and count_mails(mail_dir) - mails_before >= count
        ):
            mailed_at = now
        if measure and now >= next_sample:  # pg_stat_activity is not free: twice a second
            sessions.worker_seen |= worker_sessions()
            next_sample = now + 0.5
        control.worker.check_alive("issuing gift cards")
        if now > deadline:
            what = "e-mails" if fulfilled_at else "claims fulfilled"
            raise RuntimeError(
                f"timed out after {timeout:.0f} s waiting for {what}:\n{control.worker.log_tail()}"
            )
        time.sleep(0.1)  # the count costs PostgreSQL CPU that the worker would otherwise have
    cpu: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)
    if measure:
        cpu = cpu_spent(cpu_before, worker_cpu(control.worker))
        time.sleep(1.0)  # a new backend reports its session to the statistics when it is next idle
        sessions.worker_at_end = worker_sessions()
        sessions.worker_seen |= sessions.worker_at_end
        sessions.database_delta = database_sessions() - sessions_before
    return (
        Phase(count, published_in, fulfilled_at - started),
        Phase(count, published_in, mailed_at - started, *cpu),
        sessions,
    )


# --- Report ----------------------------------------------------------------------------------------


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def describe_sessions(sessions: set) -> str:
    return ", ".join(f"pid {pid}" for pid, _ in sorted(sessions)) or "none"


def report(
    *,
    noop: Phase,
    cards: Phase,
    mailed: Phase,
    check: CardCheck,
    sessions: Sessions,
    rss: dict[int, int],
    main_pid: int,
    mails: int,
    errors: list[str],
    reuse_max: int | None,
) -> bool:
    ratio = cards.rate / noop.rate
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
                "gift cards (claims fulfilled)",
                f"{cards.tasks:,}",
                f"{cards.published_in:.2f} s",
                f"{cards.seconds:.2f} s",
                f"{cards.rate:,.0f}",
            ],
            [
                "gift cards and their e-mails",
                f"{mailed.tasks:,}",
                "",
                f"{mailed.seconds:.2f} s",
                f"{mailed.rate:,.0f}",
            ],
        ],
    )
    cpus = os.cpu_count() or 1
    print(f"\nCPU time during each phase ({cpus} CPUs), a task or gift card (with its e-mail):")
    for label, phase in (("no-op tasks", noop), ("gift cards", mailed)):
        worker = phase.cpu_main + phase.cpu_pool
        rest = phase.cpu_machine - worker - phase.cpu_bench
        print(
            f"  {label}: worker main process {phase.cpu_main / phase.tasks * 1000:.2f} ms, "
            f"pool processes {phase.cpu_pool / phase.tasks * 1000:.2f} ms; "
            f"PostgreSQL, Redis and any other process {rest / phase.tasks * 1000:.2f} ms; "
            f"machine busy {phase.cpu_machine / (cpus * phase.seconds):.0%}"
        )
    if check.first_to_last_issued > 0:
        steady = (check.cards - 1) / check.first_to_last_issued
        print(f"  first to last gift card issued: {check.first_to_last_issued:.2f} s ({steady:,.0f}/s)")
    print(f"\nGift cards / no-op: {ratio:.2f}")
    card_target = "met" if cards.rate >= 300 else "NOT met"
    ratio_target = "met" if ratio >= 0.4 else "NOT met"
    print(f"  target 300 gift cards/s: {card_target}; target ratio >= 0.4: {ratio_target}")

    ok = (
        check.fulfilled == cards.tasks
        and check.cards == check.claims_with_card == check.codes == cards.tasks
        and check.events == EVENTS_PER_CARD * cards.tasks
        and mails >= cards.tasks
        and not errors
    )
    print(f"\nChecks ({'all passed' if ok else 'FAILED'}):")
    print(f"  claims fulfilled: {check.fulfilled:,} of {cards.tasks:,}")
    twice = "none twice" if check.cards == check.claims_with_card else "SOME CLAIM HAS TWO"
    print(
        f"  gift cards: {check.cards:,} for {check.claims_with_card:,} claims, "
        f"{check.codes:,} distinct codes ({twice})"
    )
    print(f"  claim events: {check.events:,} (expected {EVENTS_PER_CARD * cards.tasks:,})")
    print(f"  'fulfilled' e-mails written: {mails:,}")
    print(f"  errors in the worker's log: {len(errors)}")
    for line in errors[:10]:
        print(f"    {line}")

    print("\nPostgreSQL sessions during the gift-card phase:")
    print(f"  opened to the database (pg_stat_database.sessions, every client): {sessions.database_delta}")
    print(f"  opened by the worker (application_name={APPLICATION_NAME}): {sessions.worker_opened}")
    print(f"  worker's sessions at the start: {describe_sessions(sessions.worker_at_start)}")
    print(f"  worker's sessions at the end:   {describe_sessions(sessions.worker_at_end)}")
    if sessions.worker_opened:
        tasks = 2 * cards.tasks  # a remedy task and an e-mail task a gift card
        print(
            f"  {tasks / sessions.worker_opened:,.0f} tasks a worker session: Celery's Django fix-up closes a "
            f"process's connection every CELERY_DB_REUSE_MAX = {reuse_max} tasks"
        )

    parts = [f"main {main_pid}: {mib(rss[main_pid])}"] + [
        f"pool {pid}: {mib(kib)}" for pid, kib in rss.items() if pid != main_pid
    ]
    print(f"\nPeak RSS of the worker (VmHWM): {'; '.join(parts)}; sum {mib(sum(rss.values()))}")
    return ok


# --- Main ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=2000, help="tasks a phase (default 2000)")
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL, help=f"default {DEFAULT_BROKER_URL}")
    parser.add_argument("--timeout", type=float, default=180, help="seconds a phase may take (default 180)")
    args = parser.parse_args()
    if args.tasks < 2:
        parser.error("--tasks must be at least 2")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the worker is stopped on kill too
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    database_url = os.environ["DATABASE_URL"]
    require_local(database_url, "PostgreSQL")
    require_local(args.broker_url, "The broker")
    broker_database(args.broker_url)
    # This process publishes with the project's Celery app: on the bench's broker, whatever was set.
    os.environ["CELERY_BROKER_URL"] = args.broker_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    setup_django()

    from django.conf import settings
    from django.db import IntegrityError, connection

    from config.celery import app

    if connection.vendor != "postgresql":
        raise SystemExit("Point DATABASE_URL at PostgreSQL: the worker processes share the database.")
    redis_client = flushed_redis(args.broker_url)
    left_over = delete_bench_claims()
    if any(left_over):
        print(
            "Deleted what an earlier run left: {:,} events, {:,} gift cards, {:,} claims.".format(*left_over)
        )

    print(f"Database: {database_label()}; broker {args.broker_url} (flushed)")
    total = WARM_UP_CARDS + args.tasks
    worker: Service | None = None
    results = None
    with tempfile.TemporaryDirectory(prefix="bench-fulfilment-") as var_name:
        var_dir = Path(var_name)
        mail_dir = var_dir / "mail"
        mail_dir.mkdir()
        try:
            for attempt in range(3):
                first = free_block(math.ceil(total / 10_000) * 10_000)
                if first is None:
                    raise SystemExit(
                        "Every block of the demo range holds claims: delete some claims and run again."
                    )
                try:
                    warm_up_ids = create_claims(first, 0, WARM_UP_CARDS)
                    ids = create_claims(first + WARM_UP_CARDS, WARM_UP_CARDS, args.tasks)
                    break
                except IntegrityError:
                    delete_bench_claims()  # another process claimed a serial of the block meanwhile
                    if attempt == 2:
                        raise
            print(
                f"Claims: {total:,} approved gift-card claims, "
                f"serials {demo_serial(first)}..{demo_serial(first + total - 1)}"
            )
            node = f"bench-fulfilment-{os.getpid()}@{socket.gethostname()}"
            worker = start_worker(
                node=node, broker_url=args.broker_url, database_url=database_url, var_dir=var_dir
            )
            print(f"Worker: {' '.join(['celery', *worker.command[1:]])}")
            wait_ready(worker)
            with app.connection_for_write(args.broker_url) as broker:
                control = Control(app, broker, worker, node)
                print(f"Warm-up: {WARM_UP_NOOPS} no-op tasks, {WARM_UP_CARDS} gift cards ...")
                run_noops(control, redis_client, WARM_UP_NOOPS, timeout=args.timeout, pause=False)
                run_cards(control, redis_client, warm_up_ids, mail_dir, timeout=args.timeout, measure=False)
                pool_before = worker.pids()
                print(f"Phase 1: {args.tasks:,} no-op tasks ...")
                noop = run_noops(control, redis_client, args.tasks, timeout=args.timeout)
                print(f"Phase 2: {args.tasks:,} gift cards ...")
                mails_before = count_mails(mail_dir)
                cards, mailed, sessions = run_cards(
                    control, redis_client, ids, mail_dir, timeout=args.timeout
                )
                mails = count_mails(mail_dir) - mails_before
            pool_after = worker.pids()
            rss = {pid: peak_rss_kib(pid) for pid in pool_after}
            if pool_after != pool_before:
                print(
                    f"Note: the worker's processes changed during the phases: {pool_before} -> {pool_after}"
                )
            results = {
                "noop": noop,
                "cards": cards,
                "mailed": mailed,
                "check": check_cards(ids),
                "sessions": sessions,
                "rss": rss,
                "main_pid": worker.process.pid,
                "mails": mails,
                "errors": worker.lines_matching(WORKER_ERROR),
                "reuse_max": settings.CELERY_DB_REUSE_MAX,
            }
        finally:
            if worker is not None:
                worker.stop()
            redis_client.flushdb()
            events, gift_cards, claims = delete_bench_claims()
            print(
                f"Cleaned up: {events:,} events, {gift_cards:,} gift cards, {claims:,} claims; broker flushed."
            )
    return 0 if report(**results) else 1


if __name__ == "__main__":
    sys.exit(main())
