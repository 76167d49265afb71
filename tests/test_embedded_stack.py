"""The embedded default under a burst: `make run`'s own stack (supervisord: gunicorn, a real Celery worker
on the file-system broker, beat; SQLite), 500 claims as fast as the API takes them."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from PIL import Image

from claims.demo import QUEUE_EMAIL_DOMAIN
from tests.workers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLAIMS = 500

pytestmark = pytest.mark.embedded


def embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    """The environment of a newcomer's `make run`: none of the service URLs of this machine."""
    service = ("DATABASE_URL", "CELERY_", "AWS_", "CACHE_URL", "EMAIL_", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(service)}
    return {
        **env,
        "VAR_DIR": str(var_dir),
        "PORT": str(port),
        # One client sends every claim here: lift the per-client rate, keep everything else as shipped.
        "THROTTLE_RATE_CLAIMS": "100000/minute",
        "PYTHONUNBUFFERED": "1",
        **({"CELERY_BROKER_URL": os.environ["REPRO_BROKER"]} if "REPRO_BROKER" in os.environ else {}),
    }


def label_photo(number: int) -> bytes:
    """A small photo of its own for each claim (the demo's US market asks for one)."""
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (number % 256, number // 256 % 256, 90)).save(out, "PNG")
    return out.getvalue()


def post_claim(port: int, number: int) -> int:
    fields = {
        "model_number": "A1263",
        # Ten numbers apart: consecutive serials from different customers would be held for review.
        "serial": f"AH2306{number * 10:010d}",
        "country": "US",
        "remedy": "gift_card",
        "name": f"Burst Customer {number}",
        "email": f"burst{number}@example.com",
        "address_line1": f"{number} Burst Avenue",
        "city": "Springfield",
        "postal_code": f"{10000 + number}",
    }
    try:
        response = requests.post(
            f"http://127.0.0.1:{port}/api/v1/claims/",
            data=fields,
            files={"product_photo": ("label.png", label_photo(number), "image/png")},
            timeout=60,
        )
    except requests.RequestException:
        return 0
    return response.status_code


def claim_statuses(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=30) as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM claims_claim GROUP BY status").fetchall())


def test_a_burst_of_claims_on_the_embedded_default_is_fulfilled_and_kills_nothing(tmp_path):
    port = free_port()
    env = embedded_env(tmp_path, port)
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        subprocess.run(
            [BIN / "python", "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )  # noqa: S603
    log = tmp_path / "stack.log"
    stack = subprocess.Popen(  # noqa: S603
        [BIN / "supervisord", "-c", "config/embedded.conf"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: b"ready." in log.read_bytes(), timeout=90, what="the embedded worker")
        wait_for(lambda: _answers(port), timeout=60, what="the embedded web server")
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda n: post_claim(port, n), range(1, CLAIMS + 1)))
        intake_seconds = time.monotonic() - started
        assert answers.count(201) == CLAIMS, {code: answers.count(code) for code in set(answers)}

        database = tmp_path / "db.sqlite3"
        wait_for(
            lambda: claim_statuses(database).get("fulfilled", 0) == CLAIMS,
            timeout=240,
            what=f"{CLAIMS} claims fulfilled (now {claim_statuses(database)})",
        )
        total_seconds = time.monotonic() - started
        with sqlite3.connect(database) as db:
            cards = db.execute("SELECT COUNT(*), COUNT(DISTINCT claim_id) FROM claims_giftcard").fetchone()
            wait_for(
                lambda: (
                    db.execute(
                        "SELECT COUNT(*) FROM core_outboxmessage"
                        " WHERE topic = 'claim.email' AND status != 'delivered'"
                    ).fetchone()[0]
                    == 0
                ),
                timeout=120,
                what="every e-mail delivered",
            )
            # The burst's e-mails: not those of the demo's own claims waiting for review, nor the SMS
            # the demo campaign owes its known owners (no SMS provider here: they fail, as they should).
            mails = db.execute(
                "SELECT COUNT(*) FROM core_outboxmessage WHERE topic = 'claim.email'"
                " AND json_extract(payload, '$.claim_id') NOT IN"
                " (SELECT id FROM claims_claim WHERE email LIKE ?)",
                [f"%@{QUEUE_EMAIL_DOMAIN}"],
            ).fetchone()[0]
        assert cards == (CLAIMS, CLAIMS)  # one gift card per claim
        assert mails == 2 * CLAIMS  # received and fulfilled, once each
        assert len(list((tmp_path / "mail").iterdir())) >= 1
        supervisor = (tmp_path / "supervisord.log").read_text()
        assert "not expected" not in supervisor, supervisor  # no process died
        assert "Unrecoverable error" not in log.read_text()
        print(
            f"\n{CLAIMS} claims: intake {CLAIMS / intake_seconds:.0f} claims/s, "
            f"all fulfilled after {total_seconds:.1f} s"
        )
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5):  # noqa: S310
            return True
    except (OSError, urllib.error.URLError):
        return False
