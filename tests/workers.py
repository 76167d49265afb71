"""Real Celery worker processes for tests that depend on the broker and the worker's behaviour."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))
QUEUES = "default,remedies,notifications"


def require_postgres_and_redis() -> str:
    """The broker URL for worker tests, or skip with the reason."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "worker tests need PostgreSQL (set DATABASE_URL): the worker process shares the test database"
        )
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("worker tests need a Redis broker (set CELERY_BROKER_URL=redis://...)")
    # A database number of its own, so the tests never touch another queue on the same server.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{redis_database()}", "", ""))


_redis_slot: tuple[int, int, IO] | None = None  # (process, database number, the lock held on it)


def redis_database() -> int:
    """WORKER_TEST_REDIS_DB (14 unless set); under ``make mutation``, where test runs go on side by
    side, a number no other run holds, by a lock file per number."""
    global _redis_slot
    if not os.environ.get("MUTATION_DB_TEMPLATE"):
        return int(os.environ.get("WORKER_TEST_REDIS_DB", "14"))
    if _redis_slot is None or _redis_slot[0] != os.getpid():
        for number in range(1, 16):
            handle = open(Path(tempfile.gettempdir()) / f"worker-tests-redis-{number}.lock", "w")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _redis_slot = (os.getpid(), number, handle)
            break
        else:
            raise RuntimeError("every Redis database number is held by another test run")
    return _redis_slot[1]


def database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or ""
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Worker:
    def __init__(self, broker_url: str, name: str, concurrency: int = 2, **env: str) -> None:
        self.log = ROOT / "var" / f"test-worker-{name}-{os.getpid()}.log"
        self.log.parent.mkdir(exist_ok=True)
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process = subprocess.Popen(  # noqa: S603
            [
                CELERY,
                "-A",
                "config",
                "worker",
                "-Q",
                QUEUES,
                "-c",
                str(concurrency),
                "-n",
                f"{name}@%h",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=environment,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: b"ready." in self.log.read_bytes(), timeout=60, what=f"worker {name} to start")

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout  # noqa: S603, S607
        return [int(pid) for pid in out.split()]

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no chance to ack, reject or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if os.environ.get("KEEP_WORKER_LOGS") is None:
            self.log.unlink(missing_ok=True)


def wait_for(condition: Callable[[], bool], *, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class sender:  # noqa: N801 - used like a function
    """A bare client that puts messages on the broker, as the web processes do in production.

    The connection is given explicitly: Celery lets a CELERY_BROKER_URL in the environment win over
    the ``broker`` argument.
    """

    def __init__(self, broker_url: str) -> None:
        self.app = Celery(set_as_current=False)
        self.broker_url = broker_url

    def send_task(self, name: str, **kwargs) -> None:
        with self.app.connection_for_write(self.broker_url) as connection:
            self.app.send_task(name, connection=connection, **kwargs)


class RedisServer:
    """A private redis-server that keeps nothing on disk, like the machine's, to restart at will."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed: the broker-restart test needs its own server")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        wait_for(lambda: _pings(client), timeout=20, what="redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False
