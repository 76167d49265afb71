"""Claim intake benchmark: serial claims per second over HTTP, against a bare one-lookup endpoint.

On the configured database (DATABASE_URL, else the embedded SQLite) with the demo programme loaded, it
starts two gunicorn servers of one gthread worker each on free 127.0.0.1 ports, the load shared out
evenly between them (``bench.common.gunicorn``), with ``bench.bench_settings`` (unthrottled, DEBUG off)
and measures, each phase after a one-second warm-up:

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
import json
import os
import random
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEMO_PREFIX,
    DEMO_RANGE_SIZE,
    DEMO_WIDTH,
    MODEL_NUMBER,
    WORKERS,
    Figures,
    database_label,
    delete_claims,
    demo_serial,
    free_block,
    gunicorn,
    print_table,
    purge_queues,
    python_client,
    recall_and_model,
    setup_django,
    wrk,
    wrk_chosen,
)

CLAIMS_PATH, BARE_PATH = "/api/v1/claims/", "/api/bench/bare-lookup/"
BLOCK = 100_000  # serials reserved by one run: far more than it can claim in its phases
# Each claim has an e-mail and address of its own, as customers do (many claims from one contact are
# held for review); the bench finds its claims by that e-mail.
EMAIL_PREFIX, EMAIL_DOMAIN = "claim-intake-bench-", "@example.invalid"
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
WRK_REQUESTS = """
function init(args) n = 0; math.randomseed(id * 7919) end
function request()
  n = n + 1
  local number = FIRST + (id - 1) * SLICE + n
  if MODE == "bare" then number = math.random(0, RANGE - 1) end
  local serial = PREFIX .. string.format("%0WIDTHd", number)
  return wrk.format(nil, nil, nil, (string.gsub(BODY, "SERIAL", serial)))
end
"""


# --- Claims and clean-up ---------------------------------------------------------------------------


def bench_claims():
    from claims.models import Claim

    return Claim.objects.filter(
        email__startswith=EMAIL_PREFIX, email__endswith=EMAIL_DOMAIN, model__model_number=MODEL_NUMBER
    )


def delete_bench_claims() -> int:
    """Delete the bench's claims (with their events); how many."""
    return delete_claims(bench_claims())[3]


# --- Load -----------------------------------------------------------------------------------------


def measure(
    ports: Sequence[int],
    path: str,
    body: str,
    *,
    use_wrk: bool,
    mode: str,
    first: int,
    slice_size: int,
    concurrency: int,
    seconds: int,
) -> Figures:
    """A phase under wrk or the Python client: each connection claims its own slice of the block, one
    serial after the other, or (``mode`` bare) looks up any serial of the range."""
    if use_wrk:
        lua = (
            WRK_REQUESTS.replace("FIRST", str(first))
            .replace("SLICE", str(slice_size))
            .replace("MODE", json.dumps(mode))
            .replace("RANGE", str(DEMO_RANGE_SIZE))
            .replace("%0WIDTHd", f"%0{DEMO_WIDTH}d")
            .replace("PREFIX", json.dumps(DEMO_PREFIX))
            .replace("BODY", json.dumps(body))
        )
        return wrk(ports, path, lua, concurrency=concurrency, seconds=seconds)

    def bodies(worker: int) -> Iterator[bytes]:
        rng, n = random.Random(worker), 0
        while True:
            n += 1
            number = rng.randrange(DEMO_RANGE_SIZE) if mode == "bare" else first + worker * slice_size + n
            yield body.replace("SERIAL", demo_serial(number)).encode()

    return python_client(ports, path, bodies, concurrency=concurrency, seconds=seconds)


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
    use_wrk = wrk_chosen(args.client)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that gunicorn is stopped on kill too

    setup_django()
    from django.conf import settings

    left_over = delete_bench_claims()
    if left_over:
        print(f"Deleted {left_over:,} claims an earlier run left.")
    _, model = recall_and_model()
    first = free_block(BLOCK)
    if first is None:
        raise SystemExit("Every block of the demo range holds claims: delete some claims and run again.")
    slice_size = BLOCK // (2 * max(args.concurrency, 2))  # warm-up and measured phase: a slice each
    print(f"Database: {database_label()}; serials {demo_serial(first)}..{demo_serial(first + BLOCK - 1)}")

    database = settings.DATABASES["default"]
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as var_dir:
        for folder in ("broker/queue", "broker/processed", "media", "mail"):
            Path(var_dir, folder).mkdir(parents=True)
        env = {
            # Broker folder, uploads and e-mails of the bench's own; the database stays the configured one.
            "VAR_DIR": var_dir,
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{database['NAME']}",
            "CELERY_BROKER_URL": args.broker_url or "filesystem://",
        }
        broker = args.broker_url or "file-system transport in a temporary directory"
        client = "wrk" if use_wrk else "Python client"
        claim_body = json.dumps(CLAIM_BODY)
        bare_body = json.dumps({"model_id": model.pk, "serial": "SERIAL"})
        figures: dict[str, Figures] = {}
        try:
            with gunicorn(threads=args.threads, env=env) as ports:
                for name, path, body, mode in (
                    ("claims", CLAIMS_PATH, claim_body, "claims"),
                    ("bare", BARE_PATH, bare_body, "bare"),
                ):
                    for phase, seconds in enumerate((1, args.seconds)):
                        start = first + phase * slice_size * args.concurrency
                        figures[name] = measure(
                            ports,
                            path,
                            body,
                            use_wrk=use_wrk,
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
                purge_queues(args.broker_url)
            if not args.keep_claims:
                delete_bench_claims()

    claims, bare = figures["claims"], figures["bare"]
    print_table(
        f"HTTP on {database_label()}: {WORKERS} gunicorn servers x 1 gthread worker x {args.threads} threads, "
        f"{args.concurrency} connections, {client}, {args.seconds:g} s a phase; broker: {broker}",
        ["", "requests", "req/s", "p50 ms", "p99 ms"],
        [
            claims.row(f"POST {CLAIMS_PATH} (new claim)", decimals=1, errors=False),
            bare.row(f"POST {BARE_PATH} (one lookup)", decimals=1, errors=False),
        ],
    )
    ratio = claims.rate / bare.rate if bare.rate else 0.0
    print(f"\n  claims made (warm-up included): {made:,}, by status: {statuses}")
    print(f"  failed requests (not 2xx, or no answer): claims {claims.errors}, bare {bare.errors}")
    print(f"  claims/s: {claims.rate:,.0f}   (aim {AIM_RATE} on PostgreSQL)")
    print(f"  ratio claims/bare: {ratio:.2f}   (aim >= {AIM_RATIO})")


if __name__ == "__main__":
    main()
