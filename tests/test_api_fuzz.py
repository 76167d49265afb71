"""Schemathesis against the OpenAPI schema: every public and partner endpoint, with a valid partner
token. No server error, no status code, content type or body that the schema does not describe."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import facility_with_token

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, tmp_path):
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    _, token = facility_with_token("Fuzzing centre")
    result = subprocess.run(  # noqa: S603
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/schema/",
            "--header",
            f"Authorization: Token {token}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "40",
            "--seed",
            "20261122",
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
