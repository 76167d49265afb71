"""The OpenAPI schema at /api/schema/ says what the API does: who may call each operation, what each
takes and every error it can answer. A partner builds against this document."""

import pytest

CLAIM = "/api/v1/claims/{reference}/"
CANCEL = "/api/v1/claims/{reference}/cancel/"
VOUCHER = "/api/v1/claims/{reference}/voucher.png"
DISPOSALS = "/api/partner/v1/disposals/"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def component(schema, reference: dict) -> dict:
    return schema["components"]["schemas"][reference["$ref"].rsplit("/", 1)[1]]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_customers_token_is_a_bearer_scheme_that_opens_its_claim(schema):
    scheme = schema["components"]["securitySchemes"]["ClaimAccessToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "access_token" in scheme["description"] and "404" in scheme["description"]


@pytest.mark.parametrize(("path", "method"), [(CLAIM, "get"), (CANCEL, "post"), (VOUCHER, "get")])
def test_the_claims_own_operations_require_its_token(schema, path, method):
    operation = schema["paths"][path][method]
    assert operation["security"] == [{"ClaimAccessToken": []}]
    assert "Authorization" not in {p["name"] for p in operation.get("parameters", [])}


def test_the_partner_token_is_declared_for_the_partner_api_only(schema):
    scheme = schema["components"]["securitySchemes"]["FacilityToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    for path, _, operation in operations(schema):
        partner = path.startswith("/api/partner/")
        assert (operation["security"] == [{"FacilityToken": []}]) is partner, path


def test_the_public_operations_need_no_credentials(schema):
    for path, _, operation in operations(schema):
        if path.startswith("/api/v1/") and "{reference}" not in path:
            assert operation["security"] == [{}], path


def test_a_claim_is_json_without_files_or_multipart_with_them(schema):
    body = schema["paths"]["/api/v1/claims/"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    files = {"proof_of_purchase", "product_photo"}
    as_json = component(schema, body["application/json"]["schema"])
    as_multipart = component(schema, body["multipart/form-data"]["schema"])
    assert not files & set(as_json["properties"])
    assert set(as_multipart["properties"]) == set(as_json["properties"]) | files
    for name in files:
        assert as_multipart["properties"][name]["format"] == "binary"
        assert body["multipart/form-data"]["encoding"][name] == {
            "contentType": "image/jpeg, image/png, image/webp, application/pdf"
        }


def test_the_facility_finder_states_its_rules(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/facilities/"]["get"]["parameters"]}
    assert set(parameters) == {"country", "position", "city", "page"}
    country = parameters["country"]["schema"]
    assert country["type"] == "string" and {"US", "DE", "JP"} <= set(country["enum"])
    assert all(len(code) == 2 and code.isupper() for code in country["enum"])
    # lat and lon are one object, exploded into the query: one is never sent without the other
    position = parameters["position"]
    assert (position["in"], position["style"], position["explode"]) == ("query", "form", True)
    assert position["schema"]["required"] == ["lat", "lon"]
    lat, lon = position["schema"]["properties"]["lat"], position["schema"]["properties"]["lon"]
    assert (lat["type"], lat["minimum"], lat["maximum"]) == ("number", -90, 90)
    assert (lon["type"], lon["minimum"], lon["maximum"]) == ("number", -180, 180)
