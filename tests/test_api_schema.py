"""The OpenAPI schema at /api/schema/ says what the API does: who may call each operation, what each
takes and every error it can answer. A partner builds against this document."""

import pytest

CLAIM = "/api/v1/claims/{reference}/"
CANCEL = "/api/v1/claims/{reference}/cancel/"
VOUCHER = "/api/v1/claims/{reference}/voucher.png"
RETURN_KIT = "/api/v1/claims/{reference}/return-kit/"
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


@pytest.mark.parametrize(
    ("path", "method"), [(CLAIM, "get"), (CANCEL, "post"), (VOUCHER, "get"), (RETURN_KIT, "post")]
)
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


def test_an_incident_is_json_without_its_photo_or_multipart_with_it(schema):
    body = schema["paths"]["/api/v1/incidents/"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    as_json = component(schema, body["application/json"]["schema"])
    as_multipart = component(schema, body["multipart/form-data"]["schema"])
    assert set(as_multipart["properties"]) == set(as_json["properties"]) | {"photo"}
    assert as_multipart["properties"]["photo"]["format"] == "binary"
    assert {as_json["properties"][name]["type"] for name in ("injury", "property_damage")} == {"boolean"}
    assert as_json["properties"]["occurred_on"]["format"] == "date"
    assert set(as_json["required"]) == {
        *("model_number", "country", "kind", "injury", "property_damage", "occurred_on"),
        *("description", "name", "email"),
    }
    created = schema["paths"]["/api/v1/incidents/"]["post"]["responses"]["201"]["content"]["application/json"]
    status = component(schema, created["schema"])["properties"]["status"]["allOf"][0]
    assert component(schema, status)["enum"] == ["received"]
    kind = component(schema, as_json["properties"]["kind"]["allOf"][0])
    assert kind["enum"] == ["overheating", "smoke", "melting", "fire", "explosion", "other"]


def test_the_facility_finder_states_its_rules(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/facilities/"]["get"]["parameters"]}
    assert set(parameters) == {"place", "position", "page"}
    # Each pair that goes together is one object, exploded into the query: ?country=DE&city=Berlin,
    # ?lat=52.52&lon=13.40. Its schema says that a city needs its country and lat needs lon.
    for name in ("place", "position"):
        assert (parameters[name]["in"], parameters[name]["style"], parameters[name]["explode"]) == (
            "query",
            "form",
            True,
        )
    place = parameters["place"]["schema"]
    assert place["required"] == ["country"]
    country = place["properties"]["country"]
    assert country["type"] == "string" and {"US", "DE", "JP"} <= set(country["enum"])
    assert all(len(code) == 2 and code.isupper() for code in country["enum"])
    assert (place["properties"]["city"]["minLength"], place["properties"]["city"]["maxLength"]) == (1, 100)
    position = parameters["position"]["schema"]
    assert position["required"] == ["lat", "lon"]
    lat, lon = position["properties"]["lat"], position["properties"]["lon"]
    assert (lat["type"], lat["minimum"], lat["maximum"]) == ("number", -90, 90)
    assert (lon["type"], lon["minimum"], lon["maximum"]) == ("number", -180, 180)


# The codes SPEC names for each operation, and the protocol's codes each can answer ("HTTP API").
ANY = {406: {"not_acceptable"}, 429: {"throttled"}}
BODY = {400: {"parse_error", "validation_error"}, 413: {"request_too_large"}, 415: {"unsupported_media_type"}}
PAGE = {400: {"validation_error"}, 404: {"not_found"}}
ERRORS = {
    ("get", "/api/v1/recalls/"): {**ANY, **PAGE},
    ("post", "/api/v1/serial-checks/"): {**ANY, **BODY, 400: BODY[400] | {"invalid_serial"}},
    ("post", "/api/v1/claims/"): {
        **ANY,
        **BODY,
        400: BODY[400] | {"invalid_serial", "invalid_upload"},
        409: {"duplicate_serial"},
        422: {"serial_not_recalled", "claim_window_closed", "idempotency_key_reused"},
    },
    ("post", "/api/v1/status-links/"): {**ANY, **BODY},
    ("post", "/api/v1/incidents/"): {**ANY, **BODY, 400: BODY[400] | {"invalid_serial", "invalid_upload"}},
    ("get", CLAIM): {**ANY, 404: {"not_found"}},
    ("post", CANCEL): {**ANY, 404: {"not_found"}, 409: {"invalid_transition"}},
    ("get", VOUCHER): {**ANY, 404: {"not_found"}},
    ("post", RETURN_KIT): {**ANY, 404: {"not_found"}, 409: {"return_kit_not_offered"}},
    ("get", "/api/v1/facilities/"): {**ANY, **PAGE},
    ("get", DISPOSALS): {**ANY, **PAGE, 401: {"not_authenticated"}},
    ("post", DISPOSALS): {
        **ANY,
        **BODY,
        400: BODY[400] | {"invalid_serial"},
        401: {"not_authenticated"},
        403: {"facility_not_certified"},
        404: {"not_found"},
        409: {"already_disposed"},
        422: {"serial_mismatch"},
    },
}


def error_codes(operation) -> dict[int, set[str]]:
    codes = {}
    for status, response in operation["responses"].items():
        if int(status) >= 400:
            assert set(response["content"]) == {"application/json"}, status  # errors are JSON, always
            body = response["content"]["application/json"]
            codes[int(status)] = set(body["schema"]["properties"]["code"]["enum"])
            assert {example["value"]["code"] for example in body["examples"].values()} == codes[int(status)]
            for code in codes[int(status)]:
                assert f"`{code}`" in response["description"]
    return codes


def test_every_operation_is_listed_with_its_errors(schema):
    assert {(method, path) for path, method, _ in operations(schema)} == set(ERRORS)


@pytest.mark.parametrize(("method", "path"), sorted(ERRORS))
def test_each_operation_documents_every_error_code_it_can_answer(schema, method, path):
    assert error_codes(schema["paths"][path][method]) == ERRORS[method, path]


def test_every_operation_parameter_and_field_is_described(schema):
    for path, method, operation in operations(schema):
        assert operation.get("summary") and operation.get("description"), (method, path)
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (method, path, parameter["name"])
    for name, component in schema["components"]["schemas"].items():
        assert component.get("description") or "properties" not in component, name
        for field, definition in component.get("properties", {}).items():
            assert definition.get("description"), f"{name}.{field}"


def test_every_operation_has_examples_of_what_it_takes_and_answers(schema):
    for path, method, operation in operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert body.get("examples"), (method, path)
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if content is not None:
                assert content.get("examples"), (method, path, status)


def json_schema(definition):
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable`` becomes a null alternative."""
    if isinstance(definition, list):
        return [json_schema(item) for item in definition]
    if not isinstance(definition, dict):
        return definition
    converted = {key: json_schema(value) for key, value in definition.items() if key != "nullable"}
    if definition.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def examples(schema):
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            for name, example in parameter.get("examples", {}).items():
                yield f"{method} {path} {parameter['name']} {name}", parameter["schema"], example["value"]
        for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
            for name, example in body.get("examples", {}).items():
                yield f"{method} {path} {media_type} {name}", body["schema"], example["value"]
        for status, response in operation["responses"].items():
            for media_type, body in response.get("content", {}).items():
                for name, example in body.get("examples", {}).items():
                    yield f"{method} {path} {status} {name}", body["schema"], example["value"]


def test_every_example_is_valid_by_its_schema(schema):
    jsonschema = pytest.importorskip("jsonschema")
    components = json_schema(schema["components"])
    checked = 0
    for where, definition, value in examples(schema):
        validator = jsonschema.Draft7Validator({**json_schema(definition), "components": components})
        assert not list(validator.iter_errors(value)), where
        checked += 1
    assert checked > 40


OPERATION_IDS = {
    ("get", "/api/v1/recalls/"): "recalls_list",
    ("post", "/api/v1/serial-checks/"): "serial_check",
    ("post", "/api/v1/claims/"): "claim_create",
    ("post", "/api/v1/status-links/"): "status_links_send",
    ("post", "/api/v1/incidents/"): "incident_create",
    ("get", CLAIM): "claim_retrieve",
    ("post", CANCEL): "claim_cancel",
    ("get", VOUCHER): "claim_voucher",
    ("post", RETURN_KIT): "claim_return_kit_order",
    ("get", "/api/v1/facilities/"): "facilities_list",
    ("get", DISPOSALS): "partner_disposals_list",
    ("post", DISPOSALS): "partner_disposal_confirm",
}


def test_each_operation_has_a_name_for_client_generators(schema):
    assert {(method, path): op["operationId"] for path, method, op in operations(schema)} == OPERATION_IDS


def test_a_new_claim_links_to_the_operations_its_reference_and_token_open(schema):
    links = schema["paths"]["/api/v1/claims/"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "claim_retrieve",
        "claim_cancel",
        "claim_voucher",
        "claim_return_kit_order",
    }
    for link in links.values():
        assert link["parameters"] == {
            "reference": "$response.body#/reference",
            "header.Authorization": "Bearer {$response.body#/access_token}",
        }
