"""The production configuration: `check --deploy` is clean and secrets have no default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-the-test-3c9f0e7b1d2a4f6e8c0b",
    "DJANGO_ALLOWED_HOSTS": "recall.example.com",
    "DATABASE_URL": "postgres://recall@db.internal:5432/recall",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "CACHE_URL": "rediscache://redis.internal:6379/1",
    "AWS_STORAGE_BUCKET_NAME": "recall-uploads",
    "EMAIL_HOST": "smtp.internal",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return python("manage.py", *args, env=env)


def python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Python in the project, with none of this machine's service settings and ``env`` added."""
    service = ("DJANGO_", "DATABASE_", "AWS_", "CELERY_", "CACHE_", "EMAIL_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(service)}
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "missing",
    ["DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "AWS_STORAGE_BUCKET_NAME", "EMAIL_HOST"],
)
def test_production_refuses_to_start_without_each_service(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "refuse to start" in result.stderr and missing in result.stderr


@pytest.mark.parametrize(
    ("name", "embedded"),
    [
        ("DATABASE_URL", "sqlite:///var/db.sqlite3"),
        ("CELERY_BROKER_URL", "filesystem://localhost//"),
        ("CACHE_URL", "locmemcache://"),
    ],
)
def test_production_refuses_the_embedded_services(name, embedded):
    result = manage("check", env={**PRODUCTION, name: embedded})
    assert result.returncode != 0
    assert f"{name} names an embedded service" in result.stderr


def test_errors_are_reported_to_sentry_when_a_dsn_is_set():
    probe = (
        "import django; django.setup(); import sentry_sdk; client = sentry_sdk.get_client(); "
        "print(client.is_active(), sorted(client.integrations) if client.is_active() else [])"
    )
    result = python("-c", probe, env={**PRODUCTION, "SENTRY_DSN": "https://key@sentry.invalid/1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True") and "'celery'" in result.stdout and "'django'" in result.stdout
    without = python("-c", probe, env=PRODUCTION)
    assert without.stdout.startswith("False")


def test_the_embedded_throttles_count_across_processes(tmp_path):
    """Two gunicorn workers share one count per client: the embedded cache is not per process, and it
    counts under a lock (``core.cache.FileCache``)."""
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'])"
    )
    result = python(
        "-c", probe, env={"DJANGO_SETTINGS_MODULE": "config.settings.local", "VAR_DIR": str(tmp_path)}
    )
    assert result.stdout.strip() == "core.cache.FileCache", result.stderr
