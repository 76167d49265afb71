"""Claim intake benchmark: serial claims per second over HTTP, against a bare one-lookup endpoint.

On the configured database (DATABASE_URL, else the embedded SQLite) with the demo programme loaded, it
starts gunicorn (2 workers, gthread) on a free 127.0.0.1 port with ``bench.bench_settings``
(unthrottled, DEBUG off) and measures, each phase after a one-second warm-up:

- ``POST /api/v1/claims/``: JSON claims for distinct recalled serials of the demo range
  AH2306 0000000000-0000999999 (model A1263, US, gift card), each approved at once, its e-mail and
  remedy queued on commit;
- ``POST /api/bench/bare-lookup/`` (``bench/bench_urls.py``): one indexed lookup, the stack's floor.

Every claim is a fresh serial from a block of the range that holds no claim; the claims made are
deleted at the end (and any a killed earlier run left), so the bench can run again. Celery messages go
to a broker of the bench's own (the file-system transport in a temporary directory, deleted at the
end) unless ``--broker-url`` names one, e.g. a Redis database of its own, whose queues are then emptied.
The load comes from ``wrk`` when installed, else from a Python client with keep-alive connections.

    .venv/bin/python bench/claim_intake.py [--seconds 5] [--concurrency 8] [--threads 4]

Aim: 400 claims/s on PostgreSQL, >= 0.2 of the bare endpoint's rate.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import MODEL_NUMBER, ROOT, database_label, print_table, recall_and_model, setup_django

CLAIMS_PATH, BARE_PATH = "/api/v1/claims/", "/api/bench/bare-lookup/"
PREFIX, WIDTH, RANGE_SIZE = "AH2306", 10, 1_000_000
BLOCK = 100_000  # serials reserved by one run: far more than it can claim in its phases
# Each claim has an e-mail and address of its own, as customers do (many claims from one contact are
# held for review); the bench finds its claims by that e-mail.
EMAIL_PREFIX, EMAIL_DOMAIN = "claim-intake-bench+", "@example.invalid"
WORKERS = 2
QUEUES = ("default", "remedies", "notifications")
AIM_RATE, AIM_RATIO = 400, 0.2

CLAIM_BODY = {
    "model_number": MODEL_NUMBER,
    "serial": "SERIAL",
    "country": "US",
    "remedy": "gift_card",
    "name": "Bench Customer",
    "email": f"{EMAIL_PREFIX}SERIAL{EMAIL_DOMAIN}",
    "address_line1": "SERIAL Bench Street",
    "city": "Springfield",
    "postal_code": "12345",
}

# Each wrk thread claims its own slice of the block, one serial after the other.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) n = 0; math.randomseed(id * 7919) end
function request()
  n = n + 1
  local number = FIRST + (id - 1) * SLICE + n
  if MODE == "bare" then number = math.random(0, RANGE - 1) end
  local serial = PREFIX .. string.format("%0WIDTHd", number)
  return wrk.format(nil, nil, nil, (string.gsub(BODY, "SERIAL", serial)))
end
function done(summary, latency)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Figures:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def row(self, label: str) -> list[object]:
        return [label, f"{self.requests:,}", f"{self.rate:,.0f}", f"{self.p50_ms:.1f}", f"{self.p99_ms:.1f}"]


# --- Serials and clean-up -------------------------------------------------------------------------


def serial(number: int) -> str:
    return f"{PREFIX}{number:0{WIDTH}d}"


def bench_claims():
    from claims.models import Claim

    return Claim.objects.filter(
        email__startswith=EMAIL_PREFIX, email__endswith=EMAIL_DOMAIN, model__model_number=MODEL_NUMBER
    )


def delete_bench_claims() -> int:
    """Delete the bench's claims (with their events), a few thousand at a time."""
    from claims.models import Claim

    deleted = 0
    ids = list(bench_claims().values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        deleted += Claim.objects.filter(pk__in=ids[start : start + 2000]).delete()[1].get("claims.Claim", 0)
    return deleted


def free_block() -> int:
    """The first number of a block of the demo range in which no serial has a claim."""
    from claims.models import Claim

    _, model = recall_and_model()
    blocks = list(range(0, RANGE_SIZE, BLOCK))
    random.shuffle(blocks)
    for first in blocks:
        taken = Claim.objects.filter(
            model=model, serial__gte=serial(first), serial__lte=serial(first + BLOCK - 1)
        ).exists()
        if not taken:
            return first
    raise SystemExit("Every block of the demo range holds claims: delete some claims and run again.")


def purge_broker(url: str) -> None:
    """Empty the bench's queues on a broker it was given (the queued tasks name deleted claims)."""
    from kombu import Connection

    with Connection(url) as connection:
        channel = connection.channel()
        for queue in QUEUES:
            try:
                channel.queue_purge(queue)
            except Exception as exc:  # noqa: BLE001 - a queue never declared there is nothing to purge
                print(f"  (queue {queue}: {exc})")


# --- Server and load ------------------------------------------------------------------------------


@contextmanager
def gunicorn(*, threads: int, env: dict[str, str]) -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--chdir", str(ROOT)]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--worker-class", "gthread"]
    command += ["--threads", str(threads), "--log-level", "warning"]
    server = subprocess.Popen(command, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with code {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 30 s") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wrk(
    port: int,
    path: str,
    body: str,
    *,
    mode: str,
    first: int,
    slice_size: int,
    concurrency: int,
    seconds: int,
) -> Figures:
    script = (
        WRK_SCRIPT.replace("FIRST", str(first))
        .replace("SLICE", str(slice_size))
        .replace("MODE", json.dumps(mode))
        .replace("RANGE", str(RANGE_SIZE))
        .replace("%0WIDTHd", f"%0{WIDTH}d")
        .replace("PREFIX", json.dumps(PREFIX))
        .replace("BODY", json.dumps(body))
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = ["wrk", "-t", str(min(2, concurrency)), "-c", str(concurrency), "-d", f"{seconds}s"]
        output = subprocess.run(
            [*command, "--timeout", "10s", "-s", lua.name, f"http://127.0.0.1:{port}{path}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    requests, micros, errors, p50, p99 = (int(x) for x in line.split()[1:])
    return Figures(requests, micros / 1e6, errors, p50 / 1000, p99 / 1000)


def python_client(
    port: int,
    path: str,
    body: str,
    *,
    mode: str,
    first: int,
    slice_size: int,
    concurrency: int,
    seconds: float,
) -> Figures:
    """``concurrency`` threads with a keep-alive connection each, for ``seconds``."""
    stop = time.perf_counter() + seconds

    def run(worker: int) -> tuple[list[float], int]:
        rng = random.Random(worker)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies, errors, n = [], 0, 0
        while time.perf_counter() < stop:
            n += 1
            number = rng.randrange(RANGE_SIZE) if mode == "bare" else first + worker * slice_size + n
            payload = body.replace("SERIAL", serial(number)).encode()
            before = time.perf_counter()
            try:
                connection.request("POST", path, payload, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                errors += response.status >= 300
            except (OSError, http.client.HTTPException):
                connection.close()
                errors += 1
            latencies.append(time.perf_counter() - before)
        connection.close()
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(run, range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies = sorted(x for part, _ in results for x in part)
    p50, p99 = (latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 for q in (0.5, 0.99))
    return Figures(len(latencies), elapsed, sum(e for _, e in results), p50, p99)


# --- Main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of a measured phase (default 5)")
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP connections (default 8)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--broker-url", default="", help="Celery broker for the queued tasks (purged after)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--keep-claims", action="store_true", help="leave the claims made in the database")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that gunicorn is stopped on kill too

    setup_django()
    from django.conf import settings

    left_over = delete_bench_claims()
    if left_over:
        print(f"Deleted {left_over:,} claims an earlier run left.")
    _, model = recall_and_model()
    first = free_block()
    slice_size = BLOCK // (2 * max(args.concurrency, 2))  # warm-up and measured phase: a slice each
    print(f"Database: {database_label()}; serials {serial(first)}..{serial(first + BLOCK - 1)}")

    database = settings.DATABASES["default"]
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as var_dir:
        for folder in ("broker/queue", "broker/processed", "media", "mail"):
            Path(var_dir, folder).mkdir(parents=True)
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "PYTHONWARNINGS": "ignore:No directory at",
            # Broker folder, uploads and e-mails of the bench's own; the database stays the configured one.
            "VAR_DIR": var_dir,
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{database['NAME']}",
            "CELERY_BROKER_URL": args.broker_url or "filesystem://",
        }
        broker = args.broker_url or "file-system transport in a temporary directory"
        client = "wrk" if use_wrk else "Python client"
        load = wrk if use_wrk else python_client
        claim_body = json.dumps(CLAIM_BODY)
        bare_body = json.dumps({"model_id": model.pk, "serial": "SERIAL"})
        figures: dict[str, Figures] = {}
        try:
            with gunicorn(threads=args.threads, env=env) as port:
                for name, path, body, mode in (
                    ("claims", CLAIMS_PATH, claim_body, "claims"),
                    ("bare", BARE_PATH, bare_body, "bare"),
                ):
                    for phase, seconds in enumerate((1, args.seconds)):
                        start = first + phase * slice_size * args.concurrency
                        figures[name] = load(
                            port,
                            path,
                            body,
                            mode=mode,
                            first=start,
                            slice_size=slice_size,
                            concurrency=args.concurrency,
                            seconds=seconds,
                        )
            made = bench_claims().count()
            statuses = dict(Counter(bench_claims().values_list("status", flat=True)))
        finally:
            if args.broker_url:
                purge_broker(args.broker_url)
            if not args.keep_claims:
                delete_bench_claims()

    claims, bare = figures["claims"], figures["bare"]
    print_table(
        f"HTTP on {database_label()}: gunicorn {WORKERS} gthread workers x {args.threads} threads, "
        f"{args.concurrency} connections, {client}, {args.seconds:g} s a phase; broker: {broker}",
        ["", "requests", "req/s", "p50 ms", "p99 ms"],
        [claims.row(f"POST {CLAIMS_PATH} (new claim)"), bare.row(f"POST {BARE_PATH} (one lookup)")],
    )
    ratio = claims.rate / bare.rate if bare.rate else 0.0
    print(f"\n  claims made (warm-up included): {made:,}, by status: {statuses}")
    print(f"  failed requests (not 2xx, or no answer): claims {claims.errors}, bare {bare.errors}")
    print(f"  claims/s: {claims.rate:,.0f}   (aim {AIM_RATE} on PostgreSQL)")
    print(f"  ratio claims/bare: {ratio:.2f}   (aim >= {AIM_RATIO})")


if __name__ == "__main__":
    main()
