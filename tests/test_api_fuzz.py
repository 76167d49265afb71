"""Schemathesis against the OpenAPI schema and the live server: every check of the installed version,
positive and negative data, all four phases (the schema's examples, its edge cases, random data, and
stateful sequences that follow the schema's links from a new claim to its own operations).

tests/schemathesis.toml says how it runs (the partner token, catalogue values for some of the claims,
the two checks set aside for a few operations and why); tests/schemathesis_hooks.py holds the check
that takes the place of positive_data_acceptance where the schema cannot hold the reason for a refusal.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import facility_with_token

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
HOOKS = HERE / "schemathesis_hooks.py"
HOOKS_CHECK = "valid_data_refused_only_for_data_beyond_the_schema"


def checks_run(report_dir: Path) -> set[str]:
    """The names of the checks the run's NDJSON report records, however deep they sit in an event."""
    names: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "checks" and isinstance(item, dict):
                    names.update(c["name"] for results in item.values() for c in results if "name" in c)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for report in report_dir.glob("*.ndjson"):
        for line in report.read_text().splitlines():
            walk(json.loads(line))
    return names


def test_schemathesis_finds_no_disagreement_between_the_schema_and_the_api(live_server, tmp_path):
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    import schemathesis.specs.openapi.checks  # noqa: F401 - registers the OpenAPI checks in CHECKS
    from schemathesis.checks import CHECKS

    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    _, token = facility_with_token("Fuzzing centre")
    result = subprocess.run(  # noqa: S603
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{live_server.url}/api/schema/",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--mode",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "20261122",
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
            "--report",
            "ndjson",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "FACILITY_TOKEN": token, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    # Every check ran: the config enables them all, as no --checks on the command line could.
    assert checks_run(tmp_path) >= {*CHECKS.get_all_names(), HOOKS_CHECK}
