"""Serial check benchmark: checks per second in-process and over HTTP, against a bare one-lookup endpoint.

With N serials of the demo model A1263 listed (imported once with ``recalls.services.serials_import``
into the batch "BENCH serial_check" and kept for later runs), it measures on a 50/50 mix of listed
(recalled) and unlisted serials, after a warm-up, each pair of phases in alternating rounds:

(a) in-process, one thread: ``recalls.services.serial_check`` against a bare
    ``RecalledSerial.objects.filter(model_id=..., serial=...).exists()``, R calls each;
(b) over HTTP: two gunicorn servers of one gthread worker each on free 127.0.0.1 ports, the load shared
    out evenly between them (``bench.common.gunicorn``), with ``bench.bench_settings`` (unthrottled,
    DEBUG off), ``POST /api/v1/serial-checks/`` against ``POST /api/bench/bare-lookup/``
    (``bench/bench_urls.py``: one indexed lookup), under ``wrk`` for a few seconds each when it is
    installed, else under a Python client with C keep-alive connections sending R requests each.

It prints requests/s, p50 and p99 latency, errors and serial_check rate / bare rate, and stops gunicorn
at the end, on errors and on Ctrl-C.

    .venv/bin/python bench/serial_check.py [--serials N] [--requests R] [--concurrency C]

Targets: ratio >= 0.7, p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    MODEL_NUMBER,
    WORKERS,
    Figures,
    database_label,
    gunicorn,
    print_table,
    python_client,
    recall_and_model,
    setup_django,
    write_serials,
    wrk,
    wrk_chosen,
)

BATCH = "BENCH serial_check"
LISTED, UNLISTED = "BC", "BN"
COUNTRY = "US"
CHECK_PATH, BARE_PATH = "/api/v1/serial-checks/", "/api/bench/bare-lookup/"
ROUNDS = 3  # the phases take turns, so load from elsewhere on the machine weighs on both alike
# Each request's serial: half listed, half not.
WRK_REQUESTS = """
function init(args) math.randomseed(id * 7919 + os.time()) end
function request()
  local prefix = math.random() < 0.5 and "LISTED" or "UNLISTED"
  local serial = prefix .. string.format("%014d", math.random(0, SERIALS - 1))
  return wrk.format(nil, nil, nil, string.format('BODY', serial))
end
"""


def alternate(phases: dict[str, Callable[[int], Figures]]) -> dict[str, Figures]:
    """Runs each phase ROUNDS times (round 0..ROUNDS-1), taking turns, and adds up the figures."""
    totals: dict[str, Figures] = {}
    for round_no in range(ROUNDS):
        for name, phase in phases.items():
            figures = phase(round_no)
            totals[name] = totals[name] + figures if name in totals else figures
    return totals


def ensure_serials(count: int) -> None:
    from recalls.models import RecalledSerial
    from recalls.services import serials_import

    recall, model = recall_and_model()
    ends = [f"{LISTED}{0:014d}", f"{LISTED}{count - 1:014d}"]
    if RecalledSerial.objects.filter(recall=recall, model=model, serial__in=ends).count() == 2:
        print(f"{count:,} listed serials already imported ({database_label()}).")
        return
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        path = Path(tmp) / "serials.txt"
        write_serials(path, LISTED, count)
        with path.open("rb") as source:
            report = serials_import(recall=recall, model=model, source=source, batch_name=BATCH)
    print(f"Imported {report.imported:,} listed serials in {report.seconds:.1f} s ({database_label()}).")


def mixed_serials(count: int, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{LISTED if i % 2 else UNLISTED}{rng.randrange(count):014d}" for i in range(n)]


def in_process(call: Callable[[str], bool], serials: list[str]) -> Figures:
    latencies, errors = Counter(), 0
    started = time.perf_counter()
    for serial in serials:
        before = time.perf_counter()
        recalled = call(serial)
        latencies[(time.perf_counter() - before) * 1000] += 1
        errors += recalled != serial.startswith(LISTED)
    return Figures(len(serials), time.perf_counter() - started, errors, latencies)


def wrk_requests(body: str, serials: int) -> str:
    """The Lua of wrk's requests: ``body`` with a serial of the ``serials`` listed or unlisted ones."""
    script = WRK_REQUESTS.replace("UNLISTED", UNLISTED).replace("LISTED", LISTED)
    return script.replace("SERIALS", str(serials)).replace("BODY", body.replace("SERIAL", "%s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serials", type=int, default=1_000_000, help="listed serials (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=6_000, help="requests a phase (default 6,000)")
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP connections (default 4)")
    parser.add_argument("--seconds", type=int, default=6, help="seconds of a phase under wrk (default 6)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    use_wrk = wrk_chosen(args.client)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so gunicorn is stopped when killed too

    setup_django()
    from recalls.models import RecalledSerial
    from recalls.services import serial_check

    ensure_serials(args.serials)
    _, model = recall_and_model()
    serials = mixed_serials(args.serials, args.requests, seed=2)
    warm_up = mixed_serials(args.serials, max(200, args.requests // 10), seed=3)
    rounds = [serials[i::ROUNDS] for i in range(ROUNDS)]

    def check(serial: str) -> bool:
        return serial_check(model_number=MODEL_NUMBER, serial=serial, country=COUNTRY).recalled

    def bare(serial: str) -> bool:
        return RecalledSerial.objects.filter(model_id=model.pk, serial=serial).exists()

    in_process(check, warm_up)
    in_process(bare, warm_up)
    local = alternate(
        {"check": lambda r: in_process(check, rounds[r]), "bare": lambda r: in_process(bare, rounds[r])}
    )
    headers = ["", "requests", "req/s", "p50 ms", "p99 ms", "errors"]
    rows = [local["check"].row("recalls.services.serial_check"), local["bare"].row("bare .exists()")]
    print_table("(a) in-process, one thread (errors: wrong answers)", headers, rows)
    print(f"\n  ratio serial_check/bare: {local['check'].rate / local['bare'].rate:.2f}")

    bodies = {
        CHECK_PATH: f'{{"model_number": "{MODEL_NUMBER}", "serial": "SERIAL", "country": "{COUNTRY}"}}',
        BARE_PATH: f'{{"model_id": {model.pk}, "serial": "SERIAL"}}',
    }

    def phase(path: str, batch: list[str], seconds: int) -> Figures:
        if use_wrk:
            lua = wrk_requests(bodies[path], args.serials)
            return wrk(ports, path, lua, concurrency=args.concurrency, seconds=seconds)
        payloads = [bodies[path].replace("SERIAL", serial).encode() for serial in batch]
        return python_client(
            ports, path, lambda i: payloads[i :: args.concurrency], concurrency=args.concurrency
        )

    per_round = max(1, round(args.seconds / ROUNDS))
    threads = max(1, -(-args.concurrency // WORKERS))  # a thread for each connection
    with gunicorn(threads=threads) as ports:
        for path in bodies:
            phase(path, warm_up, 1)
        remote = alternate({path: lambda r, path=path: phase(path, rounds[r], per_round) for path in bodies})
    client = (
        f"wrk, {per_round * ROUNDS} s a phase"
        if use_wrk
        else f"Python client, {args.requests:,} requests a phase"
    )
    print_table(
        f"(b) HTTP: {WORKERS} gunicorn servers x 1 gthread worker x {threads} threads, {args.concurrency} connections, "
        f"{client}",
        headers,
        [remote[CHECK_PATH].row(f"POST {CHECK_PATH}"), remote[BARE_PATH].row(f"POST {BARE_PATH}")],
    )
    ratio = remote[CHECK_PATH].rate / remote[BARE_PATH].rate
    print(f"\n  ratio serial_check/bare: {ratio:.2f}   (target >= 0.7)")
    print(f"  p99 of serial checks: {remote[CHECK_PATH].percentile(0.99):.1f} ms   (target < 20 ms)")
    print("  latencies measured by the client; errors: failed requests and answers other than 2xx")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted; gunicorn stopped")
