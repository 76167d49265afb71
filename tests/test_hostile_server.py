"""Hostile requests against a real server process: gunicorn with the embedded settings (DEBUG on, as a
newcomer's `make run` has it). Every answer under /api/ is a JSON 4xx, never a debug page."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_embedded_stack import embedded_env
from tests.workers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("hostile")
    port = free_port()
    env = embedded_env(var_dir, port)
    subprocess.run(  # noqa: S603
        [BIN / "python", "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    log = var_dir / "gunicorn.log"
    process = subprocess.Popen(  # noqa: S603
        [
            BIN / "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(lambda: _status(port, "GET", "/healthz/")[0] == 200, timeout=60, what="gunicorn")
    yield port
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def _status(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    except (OSError, http.client.HTTPException):
        return None, "", b""
    finally:
        connection.close()


def test_deep_json_is_a_parse_error(server):
    status, content_type, body = _status(
        server,
        "POST",
        "/api/v1/serial-checks/",
        b"[" * 50_000 + b"]" * 50_000,
        {"Content-Type": "application/json"},
    )
    assert (status, content_type) == (400, "application/json")
    assert json.loads(body)["code"] == "parse_error"


def test_a_body_over_the_limit_is_413_json_before_it_is_read(server):
    # a client announces 33 MB and sends the first kilobyte: the answer comes without the rest
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.putrequest("POST", "/api/v1/claims/")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(33 * 1024 * 1024))
    connection.endheaders(message_body=b"x" * 1024)
    response = connection.getresponse()
    assert (response.status, response.getheader("Content-Type")) == (413, "application/json")
    assert json.loads(response.read())["code"] == "request_too_large"
    connection.close()


def test_too_many_fields_is_413_json(server):
    # multipart: the claim API takes JSON or multipart (a urlencoded body is 415 before it is read)
    boundary = "fields"
    form = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nx\r\n' for n in range(2000)
    )
    body_bytes = (form + f"--{boundary}--\r\n").encode()
    status, content_type, body = _status(
        server,
        "POST",
        "/api/v1/claims/",
        body_bytes,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert (status, content_type) == (413, "application/json")
    assert json.loads(body)["code"] == "request_too_large"
    urlencoded = "&".join(f"f{n}=x" for n in range(2000)).encode()
    status, content_type, body = _status(
        server, "POST", "/api/v1/claims/", urlencoded, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (status, json.loads(body)["code"]) == (415, "unsupported_media_type")


def test_an_unknown_api_url_is_a_json_404_listing_nothing(server):
    status, content_type, body = _status(server, "GET", "/api/v1/no-such-thing/")
    assert (status, content_type) == (404, "application/json")
    assert b"URLconf" not in body and json.loads(body)["code"] == "not_found"
