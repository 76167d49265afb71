"""Load run of the production shape on 127.0.0.1: serial checks and claims at rising concurrency.

It starts what the ``Procfile`` runs in production, with ``config.settings.production``, on loopback only:

- ``manage.py migrate`` and ``manage.py load_demo`` first (the ``release`` step, same environment);
- gunicorn ``config.wsgi --config config/gunicorn.py`` with ``WEB_CONCURRENCY=2``, ``HOST=127.0.0.1`` and a
  free ``PORT``;
- one Celery worker ``celery -A config worker -Q default,remedies,notifications -c 2``;

with ``DATABASE_URL`` (PostgreSQL, default postgres://postgres@127.0.0.1:5432/test), a Redis database of
the run's own as the broker (default redis://127.0.0.1:6379/12, flushed at the start and at the end),
``CACHE_URL`` on Redis (default rediscache://127.0.0.1:6379/11) so that the throttles are shared by all
processes, the four ``THROTTLE_RATE_*`` raised far above the load (the throttles stay on), a random
``DJANGO_SECRET_KEY`` and ``DJANGO_SECURE_SSL_REDIRECT=false`` (plain HTTP on loopback). E-mails go to
files in a temporary ``VAR_DIR`` and no gift-card webhook is called, so nothing leaves 127.0.0.1;
``AWS_*`` variables are passed through (the run sends no uploads).

Then, after a short warm-up, at each concurrency level (default 1, 4, 16, 32 clients, one keep-alive
``http.client`` connection each), two phases of a fixed number of requests, each also capped in time:

- ``POST /api/v1/serial-checks/``: A1263 / US, half of the serials in the demo range AH2306
  0000000000-0000999999 (recalled), half just past it (not recalled); the answer's ``recalled`` is checked;
- ``POST /api/v1/claims/`` (JSON, gift card, US): new claims for distinct serials of a block of the demo
  range no claim uses (chosen from the time, so runs and other benches do not collide), each from its own
  customer so none is held for review; deliberate duplicates of serials already claimed (409
  ``duplicate_serial`` expected); ``Idempotency-Key`` retries sent after the first answer, and pairs sent
  at the same moment on two connections, which must all get the first answer (status and body).

It prints per phase and endpoint: requests, req/s, p50 and p99 latency, status codes and unexpected
answers, then waits (bounded) for the worker to drain and checks that nothing was lost or duplicated:
the run's claims in the database are exactly the 201 answers that were not replays, every one reached
``fulfilled`` with exactly one gift card, and the idempotent retries created nothing. PASS/FAIL lines; the
exit status is 1 if any check fails. The run's claims (with their events, flags and gift cards) and its
idempotency records are deleted at the end, and gunicorn and the worker are stopped, on errors, Ctrl-C
and SIGTERM too. One run at a time: at the start it also deletes the claims a killed earlier run left (the
idempotency records of a run killed with SIGKILL stay until the periodic sweep purges them, after 24 h).

    .venv/bin/python bench/load.py [--levels 1,4,16,32] [--checks 800] [--claims 300]
        [--phase-seconds 30] [--max-seconds 900] [--drain-seconds 180]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATABASE_URL,
    DEMO_RANGE_SIZE,
    JSON_CLAIMS_ENVIRONMENT,
    MODEL_NUMBER,
    QUEUES,
    ROOT,
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
    free_port,
    healthy,
    json_claims_market,
    offline_environment,
    percentile,
    print_table,
    require_local,
    s3_bucket,
    setup_django,
    smtp_sink,
    wait_ready,
)

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/12"
DEFAULT_CACHE_URL = "rediscache://127.0.0.1:6379/11"
SETTINGS = "config.settings.production"
THROTTLE_VARIABLES = (
    "THROTTLE_RATE_SERIAL_CHECKS",
    "THROTTLE_RATE_CLAIMS",
    "THROTTLE_RATE_PUBLIC",
    "THROTTLE_RATE_PARTNER",
)
# Per second, so DRF's history of recent requests (kept in the cache) stays one second long.
THROTTLE_RATE = "1000000/second"
WEB_CONCURRENCY, CELERY_CONCURRENCY = 2, 2

CHECK_PATH, CLAIMS_PATH = "/api/v1/serial-checks/", "/api/v1/claims/"
CHECKS, CLAIMS = "serial checks", "claims"
COUNTRY = "US"
NOT_RECALLED = (1_000_000, 9_999_999)  # same prefix and width, past the recalled interval
EMAIL_DOMAIN = "load-bench.example.invalid"
EMAILS_PER_CLAIM = 2  # "received" on submission, "fulfilled" once the gift card is issued
WARM_UP = (2, 40, 20)  # clients, serial checks, claim requests
HTTP_TIMEOUT = 60.0

NEW, DUPLICATE, RETRY_FIRST, RETRY, PAIR = "new", "duplicate", "keyed, first", "keyed, retry", "keyed pair"
CLAIM_KINDS = (NEW, DUPLICATE, RETRY_FIRST, RETRY, PAIR)
# Claim requests by kind, out of 20: 14 new, 2 deliberate duplicates, 1 keyed request and its retry
# (2 requests), 1 keyed pair sent at the same moment (2 requests).
CLAIM_MIX = [NEW] * 14 + [DUPLICATE] * 2 + [RETRY_FIRST, PAIR]
LOG_PROBLEM = re.compile(r"\bERROR\b|\bCRITICAL\b|^Traceback|WORKER TIMEOUT")


# --- Processes ------------------------------------------------------------------------------------


def manage(env: dict[str, str], *arguments: str) -> list[str]:
    """Runs a management command with the production environment; the lines it printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    # load_demo prints a demo facility's API token when it creates one: not repeated here.
    return [
        re.sub(r"token: \S+?(?=;|$)", "token: (not shown)", line.strip()) for line in done.stdout.splitlines()
    ]


# --- HTTP -----------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection, opened again when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.opened = 0

    def post(self, path: str, body: bytes, key: str = "") -> tuple[int | None, bytes, float, str]:
        """Status (None without an answer), body, seconds and, without an answer, what went wrong."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
            self.opened += 1
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        started = time.perf_counter()
        try:
            try:
                self.connection.request("POST", path, body, headers)
            except (BrokenPipeError, ConnectionResetError):
                # The server closed this idle keep-alive connection before the request reached it (a
                # gthread worker does after its keep-alive timeout): nothing was sent, so send it anew
                # on a new connection, as HTTP client libraries do.
                self.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
                self.opened += 1
                self.connection.request("POST", path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return None, b"", time.perf_counter() - started, type(exc).__name__
        seconds = time.perf_counter() - started
        if response.will_close:
            self.close()
        return response.status, data, seconds, ""

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def parse(data: bytes) -> dict | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@dataclass
class Result:
    endpoint: str
    kind: str
    status: int | None
    seconds: float
    ok: bool
    problem: str = ""


@dataclass
class Phase:
    label: str
    endpoint: str
    concurrency: int
    results: list[Result]
    seconds: float
    connections: int
    capped: bool

    def row(self) -> list[object]:
        latencies = sorted(r.seconds for r in self.results)
        n = len(latencies)
        codes = Counter("none" if r.status is None else str(r.status) for r in self.results)
        unexpected = sum(not r.ok for r in self.results)
        return [
            self.label,
            self.endpoint,
            self.concurrency,
            f"{n:,}" + (" (time cap)" if self.capped else ""),
            f"{self.seconds:.2f}",
            f"{n / self.seconds:,.0f}" if self.seconds else "-",
            f"{percentile(latencies, 0.50) * 1000:.1f}" if n else "-",
            f"{percentile(latencies, 0.99) * 1000:.1f}" if n else "-",
            " ".join(f"{code}:{count}" for code, count in sorted(codes.items())),
            unexpected,
            self.connections,
        ]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- The load -------------------------------------------------------------------------------------


@dataclass
class KeyedClaim:
    serial: str
    answers: list[tuple[int | None, dict | None]] = field(default_factory=list)


class Load:
    """What the clients share: the serial block, the serials claimed, the keyed requests and answers."""

    def __init__(self, *, port: int, run_id: str, first: int, block: int) -> None:
        self.port, self.run_id, self.first, self.block = port, run_id, first, block
        self.lock = threading.Lock()
        self.numbers = 0
        self.claimed: list[str] = []  # serials answered 201, for the deliberate duplicates
        self.created: dict[str, str] = {}  # reference -> serial, new claims answered 201
        self.keyed: dict[str, KeyedClaim] = {}
        self.duplicates_sent = 0
        self.stop = threading.Event()

    def serial(self, offset: int) -> str:
        return demo_serial(self.first + offset)

    def number(self) -> int:
        with self.lock:
            self.numbers += 1
            if self.numbers >= self.block:
                raise RuntimeError("the run used up its block of serials")
            return self.numbers

    def claim_body(self, number: int, serial: str) -> bytes:
        """A claim from a customer of its own (one e-mail and address each: no review for many claims)."""
        return json.dumps(
            {
                "model_number": MODEL_NUMBER,
                "serial": serial,
                "country": COUNTRY,
                "remedy": "gift_card",
                "name": f"Load Customer {number}",
                "email": f"load-{self.run_id}-{number}@{EMAIL_DOMAIN}",
                "address_line1": f"{number} Load Street",
                "city": "Springfield",
                "postal_code": "12345",
            }
        ).encode()

    # One operation of a client; each returns its results.

    def check(self, client: Client, op: tuple[str, bool]) -> list[Result]:
        serial, recalled = op
        body = json.dumps({"model_number": MODEL_NUMBER, "serial": serial, "country": COUNTRY}).encode()
        status, data, seconds, problem = client.post(CHECK_PATH, body)
        answer = parse(data)
        ok = status == 200 and answer is not None and answer.get("recalled") is recalled
        if status == 200 and not ok:
            problem = f"recalled={None if answer is None else answer.get('recalled')}, expected {recalled}"
        return [Result(CHECKS, "check", status, seconds, ok, problem or describe(status, answer))]

    def claim(self, client: Client, pair_client: Client, kind: str) -> list[Result]:
        if kind == DUPLICATE:
            with self.lock:
                serial = random.choice(self.claimed) if self.claimed else None
            if serial is None:
                kind = NEW  # nothing claimed yet to duplicate
        if kind == DUPLICATE:
            body = self.claim_body(self.number(), serial)
            with self.lock:
                self.duplicates_sent += 1
            status, data, seconds, problem = client.post(CLAIMS_PATH, body)
            answer = parse(data)
            ok = status == 409 and answer is not None and answer.get("code") == "duplicate_serial"
            return [Result(CLAIMS, DUPLICATE, status, seconds, ok, problem or describe(status, answer))]

        number = self.number()
        serial = self.serial(number)
        body = self.claim_body(number, serial)
        if kind == NEW:
            status, data, seconds, problem = client.post(CLAIMS_PATH, body)
            answer = parse(data)
            ok = approved(status, answer)
            if created(status, answer):
                with self.lock:
                    self.created[answer["reference"]] = serial
                    self.claimed.append(serial)
            return [Result(CLAIMS, NEW, status, seconds, ok, problem or describe(status, answer))]

        key = f"load-{self.run_id}-{number}-{secrets.token_hex(8)}"
        record = KeyedClaim(serial)
        with self.lock:
            self.keyed[key] = record
        if kind == RETRY_FIRST:
            # The first request, then the client's retry once the answer is in.
            answers = [client.post(CLAIMS_PATH, body, key) for _ in range(2)]
            kinds = [RETRY_FIRST, RETRY]
        else:
            # Two requests at the same moment on two connections, as a client retrying a slow request.
            other: list[tuple[int | None, bytes, float, str]] = []
            helper = threading.Thread(target=lambda: other.append(pair_client.post(CLAIMS_PATH, body, key)))
            helper.start()
            mine = client.post(CLAIMS_PATH, body, key)
            helper.join()
            answers, kinds = [mine, *other], [PAIR, PAIR]
        results = []
        parsed = [(status, parse(data)) for status, data, _, _ in answers]
        with self.lock:
            record.answers.extend(parsed)
            if any(created(status, answer) for status, answer in parsed):
                self.claimed.append(serial)
        # The answer to compare with: the first 201 (an error is not kept, so a retry is answered afresh).
        first_answer = next((a for a in record.answers if created(*a)), None)
        for (status, _, seconds, problem), (_, answer), what in zip(answers, parsed, kinds, strict=True):
            ok = approved(status, answer) and (status, answer) == first_answer
            if created(status, answer) and (status, answer) != first_answer:
                problem = "not the first 201 answer"
            results.append(Result(CLAIMS, what, status, seconds, ok, problem or describe(status, answer)))
        return results


def created(status: int | None, answer: dict | None) -> bool:
    """A 201 with a claim in it (what the database must then hold), approved or not."""
    return status == 201 and answer is not None and bool(answer.get("reference"))


def approved(status: int | None, answer: dict | None) -> bool:
    """What a new claim of a recalled serial must get: 201, a token, approved at once."""
    return created(status, answer) and bool(answer.get("access_token")) and answer.get("status") == "approved"


def describe(status: int | None, answer: dict | None) -> str:
    if answer is not None and "code" in answer:
        return f"{status} {answer['code']}"
    if answer is not None and "status" in answer:
        return f"{status} {answer['status']}"
    return f"{status}" if status is not None else "no answer"


def run_phase(
    load: Load,
    *,
    label: str,
    endpoint: str,
    concurrency: int,
    ops: list,
    seconds: float,
) -> Phase:
    """``concurrency`` clients take the operations in turn until none is left or time is up."""
    lock = threading.Lock()
    pending = iter(ops)
    barrier = threading.Barrier(concurrency + 1)
    deadline = [math.inf]
    results: list[list[Result]] = [[] for _ in range(concurrency)]
    clients = [(Client(load.port), Client(load.port)) for _ in range(concurrency)]
    failures: list[BaseException] = []
    capped = threading.Event()

    def take():
        with lock:
            return next(pending, None)

    def client_loop(index: int) -> None:
        client, pair_client = clients[index]
        try:
            barrier.wait(timeout=60)
            while not load.stop.is_set():
                if time.perf_counter() > deadline[0]:
                    capped.set()
                    break
                op = take()
                if op is None:
                    break
                if endpoint == CHECKS:
                    results[index].extend(load.check(client, op))
                else:
                    results[index].extend(load.claim(client, pair_client, op))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            load.stop.set()
        finally:
            client.close()
            pair_client.close()

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"a client failed in phase {label} {endpoint}: {failures[0]!r}") from failures[0]
    return Phase(
        label=label,
        endpoint=endpoint,
        concurrency=concurrency,
        results=[r for part in results for r in part],
        seconds=elapsed,
        connections=sum(a.opened + b.opened for a, b in clients),
        capped=capped.is_set(),
    )


def check_ops(count: int, seed: int) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    ops = []
    for i in range(count):
        if i % 2:
            ops.append((demo_serial(rng.randrange(DEMO_RANGE_SIZE)), True))
        else:
            ops.append((demo_serial(rng.randint(*NOT_RECALLED)), False))
    return ops


def claim_ops(requests: int, seed: int) -> list[str]:
    """Claim operations worth ``requests`` requests (a keyed operation is two), in a shuffled mix."""
    rng = random.Random(seed)
    ops, total = [], 0
    while total < requests:
        cycle = CLAIM_MIX.copy()
        rng.shuffle(cycle)
        for kind in cycle:
            if total >= requests:
                break
            ops.append(kind)
            total += 1 if kind in (NEW, DUPLICATE) else 2
    return ops


# --- The database ---------------------------------------------------------------------------------


def run_claims(load: Load):
    from claims.models import Claim

    return Claim.objects.filter(
        model__model_number=MODEL_NUMBER,
        serial__gte=demo_serial(load.first),
        serial__lte=demo_serial(load.first + load.block - 1),
        email__startswith=f"load-{load.run_id}-",
        email__endswith=f"@{EMAIL_DOMAIN}",
    )


def delete_idempotency_records(keys: list[str]) -> int:
    """The records of the run's keys: stored as an HMAC of the key under the run's secret key."""
    from core.idempotency import _derive
    from core.models import IdempotencyRecord

    hashes = [_derive("idempotency-key", key).hex() for key in keys]
    return sum(
        IdempotencyRecord.objects.filter(key_hash__in=hashes[i : i + 2000]).delete()[0]
        for i in range(0, len(hashes), 2000)
    )


@dataclass
class Outcome:
    claims: int = 0
    references: set[str] = field(default_factory=set)
    fulfilled: int = 0
    cards: int = 0
    claims_with_card: int = 0
    remedy_events: int = 0
    flags: int = 0
    keyed_serial_claims: int = 0


def outcome(load: Load) -> Outcome:
    from django.db.models import Count

    from claims.models import ClaimEvent, ClaimFlag
    from fulfilment.models import GiftCard

    claims = run_claims(load)
    cards = GiftCard.objects.filter(claim__in=claims).aggregate(
        cards=Count("pk"), claims=Count("claim_id", distinct=True)
    )
    keyed_serials = [record.serial for record in load.keyed.values()]
    return Outcome(
        claims=claims.count(),
        references=set(claims.values_list("reference", flat=True)),
        fulfilled=claims.filter(status="fulfilled").count(),
        cards=cards["cards"],
        claims_with_card=cards["claims"],
        remedy_events=ClaimEvent.objects.filter(claim__in=claims, kind=ClaimEvent.Kind.REMEDY_ISSUED).count(),
        flags=ClaimFlag.objects.filter(claim__in=claims).count(),
        keyed_serial_claims=sum(
            claims.filter(serial__in=keyed_serials[i : i + 2000]).count()
            for i in range(0, len(keyed_serials), 2000)
        ),
    )


def wait_drained(load: Load, worker: Service, redis_client, mail_dir: Path, *, expected: int, timeout: float):
    """Seconds until every claim of the run is fulfilled, the broker idle and the e-mails written."""
    claims = run_claims(load)
    started = time.monotonic()
    while True:
        worker.check_alive("draining")
        if (
            not claims.exclude(status="fulfilled").exists()
            and broker_idle(redis_client)
            and count_mails(mail_dir) >= EMAILS_PER_CLAIM * expected
        ):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(0.25)


# --- Report ---------------------------------------------------------------------------------------


def kind_rows(phases: list[Phase]) -> list[list[object]]:
    rows = []
    results = [r for phase in phases for r in phase.results if r.endpoint == CLAIMS]
    for kind in CLAIM_KINDS:
        mine = [r for r in results if r.kind == kind]
        if not mine:
            continue
        latencies = sorted(r.seconds for r in mine)
        codes = Counter("none" if r.status is None else str(r.status) for r in mine)
        rows.append(
            [
                kind,
                f"{len(mine):,}",
                f"{percentile(latencies, 0.5) * 1000:.1f}",
                f"{percentile(latencies, 0.99) * 1000:.1f}",
                " ".join(f"{code}:{count}" for code, count in sorted(codes.items())),
                sum(not r.ok for r in mine),
            ]
        )
    return rows


# --- Main -----------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", default="1,4,16,32", help="concurrent clients, phase by phase")
    parser.add_argument("--checks", type=int, default=800, help="serial-check requests a phase (800)")
    parser.add_argument("--claims", type=int, default=300, help="claim requests a phase (300)")
    parser.add_argument("--phase-seconds", type=float, default=30, help="time cap of a phase (30 s)")
    parser.add_argument("--max-seconds", type=float, default=900, help="time cap of all phases (900 s)")
    parser.add_argument("--drain-seconds", type=float, default=180, help="time the worker may take (180 s)")
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL, help=f"flushed ({DEFAULT_BROKER_URL})")
    parser.add_argument("--cache-url", default=DEFAULT_CACHE_URL, help=f"default {DEFAULT_CACHE_URL}")
    args = parser.parse_args()
    try:
        args.levels = [int(level) for level in args.levels.split(",") if level.strip()]
    except ValueError:
        parser.error("--levels takes numbers separated by commas, e.g. 1,4,16,32")
    if not args.levels or min(args.levels) < 1 or args.checks < 1 or args.claims < 2:
        parser.error("give at least one level >= 1, --checks >= 1 and --claims >= 2")
    args.database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not args.database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        parser.error("the production shape runs on PostgreSQL: point DATABASE_URL at it")
    require_local(args.database_url, "PostgreSQL")
    require_local(args.broker_url, "The broker")
    require_local(args.cache_url, "The cache")
    cache_database = urlsplit(args.cache_url).path.strip("/") or "0"
    if str(broker_database(args.broker_url)) == cache_database:
        parser.error("the broker and the cache need Redis databases of their own")
    return args


def production_environment(
    args: argparse.Namespace, *, port: int, var_dir: Path, smtp_port: int, storage: dict[str, str]
) -> dict[str, str]:
    """The environment of every process of the run: production settings need every service named."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "CACHE_URL": args.cache_url,
        **dict.fromkeys(THROTTLE_VARIABLES, THROTTLE_RATE),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WEB_CONCURRENCY),
        "SITE_URL": f"http://127.0.0.1:{port}",
        **offline_environment(var_dir),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        **storage,
        "PYTHONUNBUFFERED": "1",
        "PYTHONWARNINGS": "ignore:No directory at",
        **JSON_CLAIMS_ENVIRONMENT,
    }


def start_services(env: dict[str, str], var_dir: Path, services: list[Service]) -> tuple[Service, Service]:
    """The worker and gunicorn, as the Procfile runs them; each is in ``services`` once started."""
    port = env["PORT"]
    worker = celery_worker(
        "celery worker",
        node=f"load-{os.getpid()}@%h",
        env=env,
        log=var_dir / "worker.log",
        concurrency=CELERY_CONCURRENCY,
    )
    services.append(worker)
    web = Service(
        "gunicorn",
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "--config", "config/gunicorn.py"],
        env,
        var_dir / "gunicorn.log",
    )
    services.append(web)
    wait_ready(worker)
    web.wait_for(lambda: healthy(int(port)), timeout=60, what="an answer on /healthz/")
    listening = re.search(r"Listening at: (\S+)", web.text())
    print(
        f"gunicorn: config.wsgi --config config/gunicorn.py, WEB_CONCURRENCY={WEB_CONCURRENCY} "
        f"(gthread workers, GUNICORN_THREADS threads each), listening at {listening.group(1) if listening else f'127.0.0.1:{port}'}"
    )
    print(f"worker: celery -A config worker -Q {','.join(QUEUES)} -c {CELERY_CONCURRENCY}")
    return web, worker


def run_phases(load: Load, web: Service, args: argparse.Namespace) -> list[Phase]:
    clients, warm_checks, warm_claims = WARM_UP
    plan = [("warm-up", clients, warm_checks, warm_claims)]
    plan += [(f"c={level}", level, args.checks, args.claims) for level in args.levels]
    print(
        f"\nPhases: {', '.join(map(str, args.levels))} clients; each {args.checks:,} serial checks, then "
        f"{args.claims:,} claim requests (at most {args.phase_seconds:g} s a phase, {args.max_seconds:g} s in all)"
    )
    phases: list[Phase] = []
    deadline = time.monotonic() + args.max_seconds
    for n, (label, concurrency, check_count, claim_count) in enumerate(plan):
        for endpoint, ops in (
            (CHECKS, check_ops(check_count, seed=n)),
            (CLAIMS, claim_ops(claim_count, seed=100 + n)),
        ):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                print(f"  {label} {endpoint}: skipped, the run's time cap was reached")
                continue
            web.check_alive(f"phase {label}")
            phase = run_phase(
                load,
                label=label,
                endpoint=endpoint,
                concurrency=concurrency,
                ops=ops,
                seconds=min(args.phase_seconds, remaining),
            )
            phases.append(phase)
            row = phase.row()
            print(f"  {label:>8} {endpoint:<13} {row[3]:>6} requests in {row[4]} s: {row[5]} req/s")
    return phases


@dataclass
class Expected:
    """What the answers say the database must hold."""

    new: int
    keyed: int
    replays: int
    references: set[str]

    @property
    def claims(self) -> int:
        return self.new + self.keyed


def expected_from_answers(load: Load) -> Expected:
    references = set(load.created)
    keyed, answered_201 = 0, 0
    for record in load.keyed.values():
        made = [answer for status, answer in record.answers if created(status, answer)]
        answered_201 += len(made)
        if made:
            keyed += 1
            references |= {answer["reference"] for answer in made}
    return Expected(new=len(load.created), keyed=keyed, replays=answered_201 - keyed, references=references)


@dataclass
class Afterwards:
    """What the run observed once the load was over."""

    drained: float | None
    mails: int
    found: Outcome
    web_rss: float
    worker_rss: float
    log_problems: dict[str, list[str]]
    tracebacks: dict[str, list[str]]


def report(load: Load, phases: list[Phase], expected: Expected, after: Afterwards, args) -> list[bool]:
    results = [r for phase in phases for r in phase.results]
    print_table(
        "Per phase and endpoint (latency measured by the client; req/s over the phase's wall time)",
        ["phase", "endpoint", "clients", "requests", "s", "req/s", "p50 ms", "p99 ms"]
        + ["status codes", "unexpected", "connections"],
        [phase.row() for phase in phases],
    )
    print_table(
        "Claim requests by kind, all phases",
        ["kind", "requests", "p50 ms", "p99 ms", "status codes", "unexpected"],
        kind_rows(phases),
    )
    unexpected = Counter((r.kind, r.problem) for r in results if not r.ok)
    if unexpected:
        listed = ", ".join(
            f"{kind}: {problem} x{count}" for (kind, problem), count in unexpected.most_common(8)
        )
        print(f"\n  unexpected answers: {listed}")
    connections = sum(phase.connections for phase in phases)
    print(
        f"\n  {len(results):,} requests on {connections:,} connections (the clients' keep-alive connections "
        "reopen when the server closes one)"
    )
    print(
        f"  claims answered 201: {expected.new:,} new + {expected.keyed:,} keyed first answers; "
        f"{expected.replays:,} replays; {load.duplicates_sent:,} deliberate duplicates sent"
    )
    drain_text = (
        f"{after.drained:.1f} s" if after.drained is not None else f"NOT within {args.drain_seconds:g} s"
    )
    print(f"  worker drained {drain_text} after the last phase; e-mails written: {after.mails:,}")
    print(
        f"  peak RSS: gunicorn master + {WEB_CONCURRENCY} workers {after.web_rss:,.0f} MiB, "
        f"worker + pool {after.worker_rss:,.0f} MiB; load average now {load_average()}"
    )

    print("\nChecks")
    checks: list[bool] = []

    def verdict(ok: bool, text: str) -> None:
        checks.append(ok)
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")

    found = after.found
    server_errors = sum(r.status is not None and r.status >= 500 for r in results)
    verdict(not server_errors, f"no 5xx answer: {server_errors} of {len(results):,} requests")
    no_answer = sum(r.status is None for r in results)
    verdict(not no_answer, f"every request answered: {no_answer} without an answer")
    throttled = sum(r.status == 429 for r in results)
    verdict(not throttled, f"nothing throttled: {throttled} answers 429")
    conflicts = [r for r in results if r.status == 409]
    duplicates = [r for r in results if r.kind == DUPLICATE]
    verdict(
        all(r.kind == DUPLICATE for r in conflicts) and all(r.ok for r in duplicates),
        f"409 only for the deliberate duplicates: {len(conflicts)} answers 409; "
        f"{sum(r.ok for r in duplicates)} of {len(duplicates)} duplicates answered 409 duplicate_serial",
    )
    others = [r for r in results if r.kind != DUPLICATE]
    verdict(
        all(r.ok for r in others),
        f"every other answer as expected (200 with the right `recalled`; 201 approved): "
        f"{sum(not r.ok for r in others)} unexpected",
    )
    differing = sum(
        len({json.dumps(answer, sort_keys=True) for status, answer in rec.answers if created(status, answer)})
        > 1
        for rec in load.keyed.values()
    )
    verdict(
        not differing,
        f"Idempotency-Key retries replayed the first 201 answer, status and body (access token included): "
        f"{len(load.keyed)} keys, {expected.replays} replays, {differing} keys with differing answers",
    )
    references_match = found.references == expected.references
    verdict(
        found.claims == expected.claims and references_match,
        f"claims in the database for this run == 201 answers that were not replays: {found.claims:,} == "
        f"{expected.claims:,}" + ("" if references_match else " (BUT NOT THE SAME REFERENCES)"),
    )
    verdict(
        found.keyed_serial_claims == expected.keyed,
        f"idempotent retries created nothing: {found.keyed_serial_claims} claims for the serials of "
        f"{expected.keyed} keys",
    )
    verdict(
        after.drained is not None,
        f"worker drained within {args.drain_seconds:g} s (queues empty, nothing unacknowledged): {drain_text}",
    )
    verdict(
        found.claims > 0 and found.fulfilled == found.claims,
        f"every claim reached fulfilled: {found.fulfilled:,} of {found.claims:,}",
    )
    verdict(
        found.cards == found.claims_with_card == found.remedy_events == found.claims,
        f"exactly one gift card per claim: {found.cards:,} cards on {found.claims_with_card:,} claims, "
        f"{found.remedy_events:,} remedy_issued events, {found.claims:,} claims",
    )
    verdict(found.flags == 0, f"no claim held for review: {found.flags} flags")
    verdict(
        after.mails == EMAILS_PER_CLAIM * found.claims,
        f"e-mails: {after.mails:,} written, {EMAILS_PER_CLAIM} a claim expected "
        f"({EMAILS_PER_CLAIM * found.claims:,})",
    )
    problems = after.log_problems
    verdict(
        not any(problems.values()),
        "no error in the logs: "
        + ", ".join(f"{name} {len(lines)} lines" for name, lines in problems.items()),
    )
    for name, lines in problems.items():
        for line in lines[:5]:
            print(f"        {name}: {line}")
        if after.tracebacks[name]:
            print(f"      the first traceback in the {name} log:")
            for line in after.tracebacks[name]:
                print(f"        {line}")
    return checks


def main() -> int:
    args = arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that everything is stopped on kill too
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started with it ignored
    port = free_port()
    run_id = time.strftime("%H%M%S") + secrets.token_hex(2)
    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    mail_dir = var_dir / "mail"
    with smtp_sink(mail_dir) as smtp_port, s3_bucket(var_dir) as storage:
        env = production_environment(args, port=port, var_dir=var_dir, smtp_port=smtp_port, storage=storage)
        return run(args, port=port, run_id=run_id, var_dir=var_dir, mail_dir=mail_dir, env=env)


def run(args, *, port: int, run_id: str, var_dir: Path, mail_dir: Path, env: dict[str, str]) -> int:
    # This process reads the database with the same settings (and secret key) for the checks.
    os.environ.update(env)

    print("Load run of the production shape on 127.0.0.1")
    print(f"  settings {SETTINGS}, DJANGO_SECURE_SSL_REDIRECT=false (plain HTTP on loopback)")
    print(f"  database {args.database_url}; broker {args.broker_url} (flushed); cache {args.cache_url}")
    print(
        f"  throttles stay on, raised so that the load is not throttled: {', '.join(THROTTLE_VARIABLES)} "
        f"= {THROTTLE_RATE} (defaults 120/minute, 30/minute, 600/minute, 1200/minute)"
    )
    print(
        f"  e-mails over SMTP to a sink on 127.0.0.1 writing to {mail_dir}; storage {env['AWS_S3_ENDPOINT_URL']} "
        f"bucket {env['AWS_STORAGE_BUCKET_NAME']}; no gift-card webhook; no uploads (serial claims only)"
    )
    print(f"  machine: {os.cpu_count()} CPUs, load average {load_average()}; the clients run on it too")

    services: list[Service] = []
    load: Load | None = None
    redis_client = None
    checks: list[bool] = []
    interrupted = False
    try:
        redis_client = flushed_redis(args.broker_url)
        migrated = manage(env, "migrate", "--noinput") or ["done"]
        print(f"\nmanage.py migrate: {migrated[-1]}")
        if any("makemigrations" in line for line in migrated):
            print("  WARNING: the models have changes without a migration: expect errors from the database")
        print(f"manage.py load_demo: {'; '.join(manage(env, 'load_demo'))}")
        setup_django(prepare=False)
        json_claims_market()
        from claims.models import Claim

        left = delete_claims(Claim.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}"))
        if any(left):
            print(
                "Deleted what an earlier run left: {:,} events, {:,} gift cards, {:,} flags, {:,} claims".format(
                    *left
                )
            )
        claim_requests = WARM_UP[2] + args.claims * len(args.levels)
        block = max(10_000, math.ceil(claim_requests / 10_000) * 10_000)
        # The block is chosen from the time, so that runs and other benches do not collide.
        first = free_block(block, start=int(time.time()))
        if first is None:
            raise RuntimeError("every block of the demo range holds claims: delete some claims and run again")
        load = Load(port=port, run_id=run_id, first=first, block=block)
        print(
            f"Database: {database_label()}; this run's serials {demo_serial(first)}..{demo_serial(first + block - 1)}"
        )

        web, worker = start_services(env, var_dir, services)
        phases = run_phases(load, web, args)
        web_rss, web_problems, web_traceback = (
            web.peak_rss_mib(),
            web.lines_matching(LOG_PROBLEM),
            web.first_traceback(),
        )
        web.stop()

        expected = expected_from_answers(load)
        print(
            f"\nWaiting (at most {args.drain_seconds:g} s) for the worker to finish {expected.claims:,} claims ..."
        )
        drained = wait_drained(
            load, worker, redis_client, mail_dir, expected=expected.claims, timeout=args.drain_seconds
        )
        after = Afterwards(
            drained=drained,
            mails=count_mails(mail_dir),
            found=outcome(load),
            web_rss=web_rss,
            worker_rss=worker.peak_rss_mib(),
            log_problems={"gunicorn": web_problems, "worker": worker.lines_matching(LOG_PROBLEM)},
            tracebacks={"gunicorn": web_traceback, "worker": worker.first_traceback()},
        )
        checks = report(load, phases, expected, after, args)
    except KeyboardInterrupt:
        interrupted = True
        print("\nInterrupted: stopping what the run started and deleting its data.")
    finally:
        if load is not None:
            load.stop.set()
        for service in reversed(services):
            service.stop()
        if redis_client is not None:
            redis_client.flushdb()
        if load is not None:
            events, cards, flags, claims = delete_claims(run_claims(load))
            records = delete_idempotency_records(list(load.keyed))
            print(
                f"\nCleaned up: {claims:,} claims, {events:,} events, {cards:,} gift cards, {flags:,} flags, "
                f"{records:,} idempotency records; broker database flushed; gunicorn and worker stopped."
            )
        shutil.rmtree(var_dir, ignore_errors=True)
    if interrupted:
        return 130
    passed = bool(checks) and all(checks)
    print(f"\nRESULT: {'PASS' if passed else 'FAIL'} ({sum(checks)} of {len(checks)} checks passed)")
    return 0 if passed else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as exc:
        sys.exit(f"load run failed: {exc}")
