"""Hostile requests get a clear JSON 4xx under /api/, whatever DEBUG says (SPEC quality bars)."""

from __future__ import annotations

import pytest

from tests.claims.conftest import CLAIMS

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/serial-checks/"


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_json_nested_thousands_deep_is_a_parse_error(api, us_recall, debug):
    body = b"[" * 100_000 + b"]" * 100_000
    for url in (CHECK, CLAIMS, "/api/v1/status-links/"):
        response = api.generic("POST", url, body, content_type="application/json")
        if response.status_code == 404:
            continue  # an endpoint this version does not have yet
        assert response.status_code == 400, url
        assert response.json()["code"] == "parse_error"


def test_a_body_over_the_limit_is_413_before_it_is_read(client, settings, debug):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    response = client.generic("POST", CLAIMS, b"x" * 2048, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_too_large"


def test_a_form_over_djangos_memory_limit_is_413_json(client, settings, us_recall, debug):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(CLAIMS, {"name": "x" * 4096, "model_number": "A1263"})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_too_many_fields_is_413_json(client, settings, us_recall, debug):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.post(CLAIMS, {f"field{n}": "x" for n in range(50)})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_an_unknown_api_url_is_json_and_lists_nothing(client, debug):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert b"urlpatterns" not in response.content and b"URLconf" not in response.content


def test_a_server_error_under_the_api_is_json(client, settings, monkeypatch):
    settings.DEBUG = True
    client.raise_request_exception = False

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("recalls.apis.serial_check", explode)
    response = client.post(
        CHECK, {"model_number": "A1263", "serial": "AH23060000000042", "country": "US"}, "application/json"
    )
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert b"boom" not in response.content  # no traceback leaves the server


def test_pages_outside_the_api_keep_their_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
