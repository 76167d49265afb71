"""What an operator relies on: the health check, decision logs, and warnings about the deployment."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import RequestFactory

from core import views
from core.middleware import ProxyConfigurationCheck
from tests.claims.conftest import submit


@pytest.fixture(autouse=True)
def fresh_health():
    views._last_health = None
    yield
    views._last_health = None


@pytest.mark.django_db
def test_healthz_checks_the_database_the_broker_and_the_storage(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


@pytest.mark.django_db
def test_healthz_names_the_service_that_does_not_answer(client, monkeypatch):
    def broker_down():
        raise ConnectionRefusedError("broker down")

    monkeypatch.setitem(views.CHECKS, "broker", broker_down)
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_healthz_checks_at_most_every_few_seconds(client, monkeypatch):
    calls = []
    monkeypatch.setitem(views.CHECKS, "storage", lambda: calls.append(1))
    for _ in range(5):
        assert client.get("/healthz/").status_code == 200
    assert len(calls) == 1


@pytest.mark.django_db
def test_decisions_are_logged_with_the_claim_reference(
    api, us_recall, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        reference = submit(api).json()["reference"]
    events = {record.event: record for record in caplog.records if hasattr(record, "event")}
    assert {"claim.submitted", "claim.approved", "remedy.issued"} <= set(events)
    assert all(
        events[name].claim == reference for name in ("claim.submitted", "claim.approved", "remedy.issued")
    )
    assert f"claim={reference}" in events["claim.approved"].getMessage()


def test_json_logs_carry_the_fields_as_keys():
    from pythonjsonlogger.json import JsonFormatter

    from core.recovery import log_event

    records = []
    logger = logging.getLogger("tests.json")
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        log_event(logger, "remedy.dead_lettered", logging.ERROR, claim="RC-7K3F9QX2", attempts=8)
    finally:
        logger.removeHandler(handler)
    line = json.loads(JsonFormatter("%(levelname)s %(name)s %(message)s").format(records[0]))
    assert line["event"] == "remedy.dead_lettered"
    assert line["claim"] == "RC-7K3F9QX2" and line["attempts"] == 8


def test_a_proxy_without_num_proxies_is_warned_about_once(caplog):
    check = ProxyConfigurationCheck(lambda request: "response")
    forwarded = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.7")
    with caplog.at_level(logging.WARNING, logger="core.middleware"):
        check(RequestFactory().get("/"))
        assert not caplog.records  # no proxy header: nothing to say
        check(forwarded)
        check(forwarded)
    assert len(caplog.records) == 1
    assert "DJANGO_NUM_PROXIES" in caplog.records[0].getMessage()
