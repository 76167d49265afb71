"""Every list of the API pages the same way: ``?page=N`` from 1, as the schema says."""

import pytest

from core.pagination import PageNumberPagination
from tests.factories import RecallFactory, facility_with_token

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/recalls/", "/api/v1/facilities/", "/api/partner/v1/disposals/"]


@pytest.fixture
def partner(api):
    _, token = facility_with_token("Paging centre")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page", ["", "0", "-1", "two", "1.0", "01", " 1", "last", "1" * 19])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_validation_error(partner, url, page):
    response = partner.get(url, {"page": page})
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "The request has invalid fields.",
        "fields": {"page": ["A page number is a whole number from 1."]},
    }


@pytest.mark.parametrize("url", LISTS)
def test_the_first_page_without_or_with_its_number_and_a_page_past_the_last_is_not_found(partner, url):
    assert partner.get(url).json() == partner.get(url, {"page": "1"}).json()
    past = partner.get(url, {"page": "2"})
    assert (past.status_code, past.json()["code"]) == (404, "not_found")


def test_pages_follow_each_other(api, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)  # read from the settings once, on import
    for n in range(3):
        RecallFactory(code=f"RECALL-{n}")
    first = api.get("/api/v1/recalls/").json()
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    second = api.get(first["next"]).json()
    assert (len(second["results"]), second["next"]) == (1, None)
    assert second["previous"].endswith("/api/v1/recalls/")


@pytest.mark.parametrize("url", LISTS)
def test_the_schema_states_the_page_numbers(client, url):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    [page] = [p for p in schema["paths"][url]["get"]["parameters"] if p["name"] == "page"]
    assert page["in"] == "query" and not page["required"]
    assert page["schema"] == {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}


def test_the_page_error_speaks_the_requests_language(api):
    response = api.get("/api/v1/recalls/", {"page": "0"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.json()["fields"] == {"page": ["Eine Seitenzahl ist eine ganze Zahl ab 1."]}
