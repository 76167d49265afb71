import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/serial-checks/"


def test_recall_list_shows_active_recalls_with_models_and_market_rules(api, us_recall):
    body = api.get("/api/v1/recalls/").json()
    assert body["count"] == 1
    recall = body["results"][0]
    assert recall["code"] == us_recall.code
    assert recall["models"] == [{"model_number": "A1263", "name": us_recall.models.get().name}]
    by_country = {rule["country"]: rule for rule in recall["market_rules"]}
    assert by_country["US"]["remedies"] == ["replacement", "gift_card"]
    assert by_country["US"]["gift_card_currency"] == "USD"
    assert by_country["DE"]["remedies"] == ["replacement", "refund"]
    assert by_country["DE"]["disposal_before_remedy"] is True


def test_serial_check_recalled(api, us_recall):
    response = api.post(
        CHECK, {"model_number": "a1263", "serial": "ah23-0600-0000-0042", "country": "us"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "recalled": True,
        "recall": us_recall.code,
        "model_number": "A1263",
        "serial": "AH23060000000042",
        "remedies": ["replacement", "gift_card"],
        "claims_open": True,
        "recalled_elsewhere": [],
    }


def test_serial_check_not_recalled(api, us_recall):
    response = api.post(
        CHECK, {"model_number": "A1263", "serial": "AH23070000000042", "country": "US"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "recalled": False,
        "recall": None,
        "model_number": "A1263",
        "serial": "AH23070000000042",
        "remedies": [],
        "claims_open": False,
        "recalled_elsewhere": [],
    }


def test_serial_check_of_a_unit_recalled_in_other_countries_says_where(api, us_recall):
    response = api.post(
        CHECK, {"model_number": "A1263", "serial": "AH23060000000042", "country": "JP"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["recalled"], body["recall"], body["claims_open"]) == (False, None, False)
    assert body["recalled_elsewhere"] == [{"recall": us_recall.code, "countries": ["DE", "US"]}]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model_number": "A1263", "serial": "123", "country": "US"}, 400, "invalid_serial"),
        ({"model_number": "Z9", "serial": "AH23060000000042", "country": "US"}, 400, "validation_error"),
        (
            {"model_number": "A1263", "serial": "AH23060000000042", "country": "Narnia"},
            400,
            "validation_error",
        ),
        ({"serial": "AH23060000000042", "country": "US"}, 400, "validation_error"),
        ({"model_number": ["A1263"], "serial": {"a": 1}, "country": None}, 400, "validation_error"),
    ],
)
def test_serial_check_errors(api, us_recall, body, status, code):
    response = api.post(CHECK, body, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["fields"]


def test_garbage_json_is_a_parse_error(api):
    response = api.generic("POST", CHECK, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "detail": response.json()["detail"]}


def test_other_content_types_are_refused(api):
    response = api.generic("POST", CHECK, b"<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_wrong_method(api):
    response = api.get(CHECK)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_not_acceptable(api):
    response = api.get("/api/v1/recalls/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


def test_unknown_api_url_is_json_404(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_serial_checks_are_throttled_per_client(api, us_recall, monkeypatch):
    cache.clear()
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**api_settings.DEFAULT_THROTTLE_RATES, "serial_checks": "3/minute"},
    )
    body = {"model_number": "A1263", "serial": "AH23060000000042", "country": "US"}
    statuses = [api.post(CHECK, body, format="json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = api.post(CHECK, body, format="json")
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    # another client is not throttled
    assert api.post(CHECK, body, format="json", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_a_format_in_the_query_is_no_other_answer(api, us_recall):
    # The Accept header chooses the answer's media type; ?format= is just another unknown parameter.
    response = api.get("/api/v1/recalls/", {"format": "xml"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
