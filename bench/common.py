"""What the benchmarks share: Django set-up on the configured database, serial files, plain tables, the
demo range's serials and claims, gunicorn and the HTTP load on it, the broker, and processes and their logs."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RECALL_CODE = "ANKER-2025-06-A1263"
MODEL_NUMBER = "A1263"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
QUEUES = ("default", "remedies", "notifications")
# The demo range of A1263: PREFIX + WIDTH digits, numbers 0..RANGE_SIZE-1, all recalled.
DEMO_PREFIX, DEMO_WIDTH, DEMO_RANGE_SIZE = "AH2306", 10, 1_000_000
WORKERS = 2  # gunicorn workers that ``gunicorn()`` starts unless told otherwise
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file e-mail backend writes after each message


# See setup_django.
JSON_CLAIMS_ENVIRONMENT = {"NEIGHBOURING_SERIAL_DISTANCE": "0"}


def json_claims_market() -> None:
    """The demo's US market without its photo requirement, for the benches' JSON claims."""
    from recalls.models import MarketRule

    MarketRule.objects.filter(recall__code=RECALL_CODE, country="US").update(product_photo_required=False)


def setup_django(*, prepare: bool = True) -> None:
    """Django on DATABASE_URL (config.settings.local, no query log); migrate and load the demo if asked.

    The throughput benches send JSON claims for consecutive serials of one block, one customer each:
    here (and in the servers they start, which inherit the environment) the neighbouring-serials check
    is off and the demo's US market takes claims without a photo. Those checks are measured on their
    own by ``bench/fraud.py``.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.update(JSON_CLAIMS_ENVIRONMENT)
    import django

    django.setup()
    if prepare:
        from django.core.management import call_command

        from recalls.models import ProductModel, Recall

        call_command("migrate", interactive=False, verbosity=0)
        has_demo = Recall.objects.filter(code=RECALL_CODE).exists()
        if not has_demo or not ProductModel.objects.filter(model_number=MODEL_NUMBER).exists():
            call_command("load_demo", stdout=io.StringIO())
        json_claims_market()


def recall_and_model():
    from recalls.models import ProductModel, Recall

    return Recall.objects.get(code=RECALL_CODE), ProductModel.objects.get(model_number=MODEL_NUMBER)


def database_label() -> str:
    from django.db import connection

    return f"{connection.vendor}, database {connection.settings_dict['NAME']}"


def write_serials(path: Path, prefix: str, count: int, seed: int = 1) -> None:
    """``count`` distinct serials ``prefix`` + 14 digits (numbers 0..count-1), in shuffled order."""
    numbers = array("q", range(count))
    random.Random(seed).shuffle(numbers)
    with path.open("w") as out:
        for start in range(0, count, 100_000):
            out.write("".join(f"{prefix}{n:014d}\n" for n in numbers[start : start + 100_000]))


def print_table(title: str, headers: list[str], rows: list[list[object]]) -> None:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        padded = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        print("  " + "  ".join(padded))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


# --- The demo range and its claims ----------------------------------------------------------------


def demo_serial(number: int) -> str:
    return f"{DEMO_PREFIX}{number:0{DEMO_WIDTH}d}"


def free_block(size: int, *, start: int | None = None) -> int | None:
    """The first number of a block of ``size`` serials of the demo range in which no serial has a claim.

    The blocks are tried in random order, or in turn from block ``start`` (modulo their number) when it
    is given; None when every block holds claims.
    """
    from claims.models import Claim

    _, model = recall_and_model()
    count = DEMO_RANGE_SIZE // size
    if start is None:
        blocks = list(range(count))
        random.shuffle(blocks)
    else:
        blocks = [(start + i) % count for i in range(count)]
    for block in blocks:
        first = block * size
        taken = Claim.objects.filter(
            model=model, serial__gte=demo_serial(first), serial__lte=demo_serial(first + size - 1)
        ).exists()
        if not taken:
            return first
    return None


def delete_claims(claims) -> tuple[int, int, int, int]:
    """Events, gift cards, flags, then the claims (a gift card protects its claim), in chunks; the counts.
    The e-mails owed them go too: left pending, a later bench's drains would spend their time on them."""
    from claims.models import Claim, ClaimEvent, ClaimFlag
    from claims.outbox import CLAIM_EMAIL
    from core.models import OutboxMessage
    from fulfilment.models import GiftCard

    ids = list(claims.values_list("pk", flat=True))
    counts = [0, 0, 0, 0]
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        counts[0] += ClaimEvent.objects.filter(claim_id__in=chunk).delete()[0]
        counts[1] += GiftCard.objects.filter(claim_id__in=chunk).delete()[0]
        counts[2] += ClaimFlag.objects.filter(claim_id__in=chunk).delete()[0]
        counts[3] += Claim.objects.filter(pk__in=chunk).delete()[1].get("claims.Claim", 0)
        OutboxMessage.objects.filter(topic=CLAIM_EMAIL, payload__claim_id__in=chunk).delete()
    return counts[0], counts[1], counts[2], counts[3]


def count_mails(folder: Path) -> int:
    """E-mails written: several may share a file (its name is the second and the backend's id())."""
    return sum(path.read_bytes().count(MAIL_SEPARATOR) for path in folder.iterdir()) if folder.exists() else 0


# --- Services on 127.0.0.1 and the broker ---------------------------------------------------------


def require_local(url: str, what: str) -> None:
    host = urlsplit(url).hostname
    if host is not None and host not in LOCAL_HOSTS:
        raise SystemExit(f"{what} must be on 127.0.0.1, not {host}.")


def broker_database(url: str) -> int:
    """The number of the Redis database a bench may flush: not 0."""
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise SystemExit(f"The broker must be Redis (redis://...), not {parts.scheme}://.")
    try:
        number = int(parts.path.strip("/") or "0")
    except ValueError:
        raise SystemExit(f"Cannot read the Redis database number of {url}.") from None
    if number == 0:
        raise SystemExit("Give the bench a Redis database of its own (not 0): it flushes it.")
    return number


def flushed_redis(url: str):
    """A client of the Redis database at ``url``, emptied."""
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    return client


def broker_idle(redis_client) -> bool:
    """No message queued, and none delivered but unacknowledged (tasks ack late, after running)."""
    with redis_client.pipeline(transaction=True) as pipe:
        for queue in QUEUES:
            pipe.llen(queue)
        pipe.hlen("unacked")
        return not any(pipe.execute())


def purge_queues(url: str) -> None:
    """Empty the queues on the broker at ``url`` (any transport kombu has)."""
    from kombu import Connection

    with Connection(url) as connection:
        channel = connection.channel()
        for queue in QUEUES:
            try:
                channel.queue_purge(queue)
            except Exception as exc:  # noqa: BLE001 - a queue never declared there is nothing to purge
                print(f"  (queue {queue}: {exc})")


def offline_environment(var_dir: Path) -> dict[str, str]:
    """Nothing leaves 127.0.0.1: e-mails as files in ``var_dir``, no gift-card webhook."""
    return {"VAR_DIR": str(var_dir), "EMAIL_HOST": "", "GIFT_CARD_WEBHOOK_URL": ""}


@contextmanager
def smtp_sink(mail_dir: Path) -> Iterator[int]:
    """An SMTP server on 127.0.0.1, in a process of its own, writing what it receives to ``mail_dir`` as
    Django's file backend does (so ``count_mails`` counts it): production settings send e-mail over SMTP
    only. Its port."""
    port = free_port()
    sink = subprocess.Popen(  # noqa: S603
        [sys.executable, str(Path(__file__).with_name("smtp_sink.py")), str(mail_dir), str(port)],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        if sink.stdout.readline().strip() != b"ready":
            raise RuntimeError("the SMTP sink did not start")
        yield port
    finally:
        sink.terminate()
        sink.wait(10)


def _port_below(limit: int) -> int:
    while True:
        port = random.randrange(20000, limit)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        with socket.socket() as sock:  # and its gRPC twin
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


@contextmanager
def s3_bucket(work_dir: Path) -> Iterator[dict[str, str]]:
    """A private bucket of the run's own, on ``AWS_S3_ENDPOINT_URL`` if set, else on a SeaweedFS server
    started here on loopback (``weed`` from the dev dependencies); the ``AWS_*`` variables to use it."""
    import boto3

    weed = None
    endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "")
    keys = {
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "bench-access-key"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "bench-secret-key"),
        "AWS_S3_REGION_NAME": os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
    }
    if not endpoint:
        folder = work_dir / "s3"
        folder.mkdir(parents=True)
        identity = {
            "name": "bench",
            "credentials": [
                {"accessKey": keys["AWS_ACCESS_KEY_ID"], "secretKey": keys["AWS_SECRET_ACCESS_KEY"]}
            ],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
        # SeaweedFS also listens on each port + 10000 (gRPC): ports low enough to leave room for that.
        port, master, volume, filer = (_port_below(50000) for _ in range(4))
        weed = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).with_name("weed")),
                "server",
                f"-dir={folder}",
                "-s3",
                f"-s3.port={port}",
                f"-s3.config={folder / 's3.json'}",
                f"-master.port={master}",
                f"-volume.port={volume}",
                f"-filer.port={filer}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
            ],
            stdout=(folder / "weed.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        region_name=keys["AWS_S3_REGION_NAME"],
    )
    bucket = f"bench-{os.getpid()}"
    deadline = time.monotonic() + 120
    while True:
        try:
            client.create_bucket(Bucket=bucket)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    try:
        yield {"AWS_S3_ENDPOINT_URL": endpoint, "AWS_STORAGE_BUCKET_NAME": bucket, **keys}
    finally:
        with contextlib.suppress(Exception):
            for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
            client.delete_bucket(Bucket=bucket)
        if weed is not None:
            os.killpg(weed.pid, signal.SIGKILL)
            weed.wait(10)


# --- Processes ------------------------------------------------------------------------------------


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue  # gone meanwhile
        for line in status.splitlines():
            if line.startswith("PPid:"):
                if int(line.split()[1]) == parent:
                    children.append(int(entry.name))
                break
    return sorted(children)


def group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group:
                    members.append(int(entry.name))
    return members


def peak_rss_kib(pid: int | str = "self") -> int:
    """Peak RSS (``VmHWM``) of a process, this one by default."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class Service:
    """A process started in a session of its own, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.log = name, command, log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def check_alive(self, doing: str) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited ({self.process.returncode}) while {doing}:\n{self.log_tail()}"
            )

    def wait_for(
        self, ready: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
    ) -> float:
        """Waits until ``ready()``, checking that the process lives; the monotonic time it was ready."""
        deadline = time.monotonic() + timeout
        while not ready():
            self.check_alive(f"waiting for {what}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name}: timed out after {timeout:.0f} s waiting for {what}:\n{self.log_tail()}"
                )
            time.sleep(interval)
        return time.monotonic()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def lines_matching(self, pattern: re.Pattern[str]) -> list[str]:
        return [line for line in self.text().splitlines() if pattern.search(line)]

    def first_traceback(self, limit: int = 60) -> list[str]:
        """The first traceback in the log, down to its exception line."""
        lines = self.text().splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("Traceback")), None)
        if start is None:
            return []
        end = start + 1
        while end < len(lines) and end - start < limit and lines[end].startswith((" ", "\t", "Traceback")):
            end += 1
        return lines[start : end + 1]

    def pids(self) -> list[int]:
        return [self.process.pid, *child_pids(self.process.pid)]

    def peak_rss_mib(self) -> float:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):  # gone meanwhile
                total += peak_rss_kib(pid)
        return total / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        # Its processes left over (a pool process, say): while one is alive, the group id is still
        # this process's, so the signal reaches only what the bench started.
        if group_members(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


def celery_worker(
    name: str, *, node: str, env: dict[str, str], log: Path, concurrency: int, options: Sequence[str] = ()
) -> Service:
    """A Celery worker of the project on every queue, ``concurrency`` prefork processes, node ``node``."""
    command = [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "--loglevel", "INFO"]
    command += ["-c", str(concurrency), "-Q", ",".join(QUEUES), *options, "-n", node]
    return Service(name, command, env, log)


def wait_ready(worker: Service, *, timeout: float = 60) -> None:
    """Until the Celery worker says it is ready."""
    worker.wait_for(lambda: " ready." in worker.text(), timeout=timeout, what="its ready line")


# --- gunicorn and the HTTP load on it -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def gunicorn(
    *, threads: int, workers: int = WORKERS, env: dict[str, str] | None = None
) -> Iterator[list[int]]:
    """``workers`` gunicorn servers of ``config.wsgi`` with ``bench.bench_settings``, each with one gthread
    worker of ``threads`` threads on a free 127.0.0.1 port, once /healthz/ answers on each; their ports.
    ``env`` adds to the environment. Stopped on leaving, on errors too.

    One worker a server, and the load's connections split evenly between the ports: the workers of one
    server share its listening socket and whichever is awake accepts, so the few keep-alive connections
    of a bench often all landed on one worker, which served them on one core while the other idled (the
    bare endpoint then ran at half its rate, and a ratio of two phases was a toss of a coin).
    """
    servers: list[subprocess.Popen] = []
    ports: list[int] = []
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "PYTHONWARNINGS": "ignore:No directory at",
        **(env or {}),
    }
    try:
        for _ in range(workers):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--chdir", str(ROOT)]
            command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread"]
            command += ["--threads", str(threads), "--log-level", "warning"]
            servers.append(subprocess.Popen(command, env=server_env))
            ports.append(port)
        deadline = time.monotonic() + 30
        for server, port in zip(servers, ports, strict=True):
            while not healthy(port):
                if server.poll() is not None:
                    raise SystemExit(f"gunicorn exited with code {server.returncode}")
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer within 30 s")
                time.sleep(0.2)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def split(connections: int, ports: Sequence[int]) -> list[tuple[int, int]]:
    """The connections shared out between the ports as evenly as they go: (port, connections)."""
    share, extra = divmod(connections, len(ports))
    return [(port, share + (i < extra)) for i, port in enumerate(ports) if share + (i < extra)]


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank of sorted values; NaN when there are none."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Figures:
    """What a load client saw: requests, seconds, failed requests and the latencies."""

    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    # Milliseconds: how many requests took that long.
    latencies: Counter[float] = field(default_factory=Counter)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.errors + other.errors,
            self.latencies + other.latencies,
        )

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return percentile(sorted(self.latencies.elements()), q)

    def row(self, label: str, *, decimals: int = 2, errors: bool = True) -> list[object]:
        """Label, requests, req/s, p50 and p99 in ms (with ``decimals``) and, if asked, the errors."""
        p50, p99 = (f"{self.percentile(q):.{decimals}f}" for q in (0.5, 0.99))
        row: list[object] = [label, f"{self.requests:,}", f"{self.rate:,.0f}", p50, p99]
        return [*row, self.errors] if errors else row


def wrk_chosen(client: str) -> bool:
    """Whether the ``--client`` choice (auto, wrk or python) means wrk: auto does when it is installed."""
    return client == "wrk" or (client == "auto" and shutil.which("wrk") is not None)


# The wrk script around a bench's ``init`` and ``request``: JSON POSTs, each thread's number in ``id``
# (numbered on from FIRST_ID, so that the wrk processes of one phase number theirs apart); at the end
# the totals and every latency (microseconds: how many requests took that long).
WRK_HEAD = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local threads = FIRST_ID
function setup(thread) threads = threads + 1; thread:set("id", threads) end
"""
WRK_DONE = """
function done(summary, latency)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
  for i = 1, #latency do io.write(string.format("LAT %d %d\\n", latency(i))) end
end
"""


def wrk(ports: Sequence[int], path: str, lua: str, *, concurrency: int, seconds: int) -> Figures:
    """wrk on ``path`` for ``seconds`` with ``concurrency`` connections shared out between ``ports``, a
    wrk process for each (2 threads in all); ``lua`` defines its ``init`` and ``request``. Errors:
    failed requests and answers 4xx or 5xx."""
    shares = split(concurrency, ports)
    threads = max(1, 2 // len(shares))
    with contextlib.ExitStack() as stack:
        runs = []
        first_id = 0
        for port, connections in shares:
            script = stack.enter_context(tempfile.NamedTemporaryFile("w", suffix=".lua"))
            script.write(WRK_HEAD.replace("FIRST_ID", str(first_id)) + lua + WRK_DONE)
            script.flush()
            first_id += min(threads, connections)
            command = [
                "wrk",
                "-t",
                str(min(threads, connections)),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
            ]
            command += ["--timeout", "10s", "-s", script.name, f"http://127.0.0.1:{port}{path}"]
            runs.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True))  # noqa: S603
        outputs = []
        for run in runs:
            output, _ = run.communicate(timeout=seconds + 60)
            if run.returncode:
                raise subprocess.CalledProcessError(run.returncode, run.args, output)
            outputs.append(output)
    figures = Figures()
    for output in outputs:
        for line in output.splitlines():
            if line.startswith("WRK "):
                requests, micros, errors = (int(x) for x in line.split()[1:])
                figures.requests += requests
                figures.errors += errors
                figures.seconds = max(figures.seconds, micros / 1e6)  # the processes ran side by side
            elif line.startswith("LAT "):
                micros, count = (int(x) for x in line.split()[1:])
                figures.latencies[micros / 1000] += count
    return figures


def python_client(
    ports: Sequence[int],
    path: str,
    bodies: Callable[[int], Iterable[bytes]],
    *,
    concurrency: int,
    seconds: float | None = None,
) -> Figures:
    """``concurrency`` threads with a keep-alive connection each, to ``ports`` in turn: thread ``i`` POSTs the JSON bodies of
    ``bodies(i)`` until there are no more or, with ``seconds``, time is up. Errors: failed requests and
    answers other than 2xx."""
    stop = math.inf if seconds is None else time.perf_counter() + seconds

    def send(worker: int) -> Figures:
        connection = http.client.HTTPConnection("127.0.0.1", ports[worker % len(ports)], timeout=10)
        figures = Figures()
        for body in bodies(worker):
            if time.perf_counter() >= stop:
                break
            before = time.perf_counter()
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                figures.errors += not 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                connection.close()
                figures.errors += 1
            figures.latencies[(time.perf_counter() - before) * 1000] += 1
            figures.requests += 1
        connection.close()
        return figures

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        total = sum(pool.map(send, range(concurrency)), Figures())
    total.seconds = time.perf_counter() - started
    return total
