"""Schemathesis hooks of tests/test_api_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

A few operations refuse some requests the schema calls valid, for reasons no schema can hold: which
models exist and where they are recalled, each model's serial format, the serials in the recalled
batches, the phone numbers, postal codes and regions of a country, the gazetteer of cities, the clock, what earlier requests
did. For those operations ``positive_data_acceptance`` is off (tests/schemathesis.toml) and the check
below takes its place: a valid request may be refused there only with a code the contract gives for
such a reason, on the fields that reason concerns (and, where a field can also be refused for its
form, only with the message of that reason). Any other refusal of valid data fails, as it would
under ``positive_data_acceptance``.
"""

from __future__ import annotations

import schemathesis

ANY = None
# operation -> status -> code -> {field: the message it may carry (ANY: any)}; {} where no field is named
BEYOND_THE_SCHEMA: dict[str, dict[int, dict[str, dict[str, str | None]]]] = {
    "POST /api/v1/serial-checks/": {
        # an unknown model, an alpha-2 code that is no country; a serial not of the model's form
        400: {"validation_error": {"model_number": ANY, "country": ANY}, "invalid_serial": {"serial": ANY}},
    },
    "POST /api/v1/claims/": {
        # as above; no active recall there, a remedy not offered there, no photo where the market asks
        # for one, a phone number, postal code or region that is none of the country's, neither a
        # serial nor a proof of purchase
        400: {
            "validation_error": {
                "model_number": ANY,
                "country": ANY,
                "remedy": ANY,
                "product_photo": ANY,
                "phone": ANY,
                "postal_code": ANY,
                "region": ANY,
                "serial": "Give the unit's serial number or attach a proof of purchase.",
            },
            "invalid_serial": {"serial": ANY},
        },
        # a serial in no recalled batch, a recall past its deadline, a key used before with another body
        422: {
            "serial_not_recalled": {"serial": ANY},
            "claim_window_closed": {},
            "idempotency_key_reused": {},
        },
    },
    "POST /api/v1/incidents/": {
        # an unknown model, an alpha-2 code that is no country, a serial not of the model's form, a phone
        # number that is none of the country's, a day after today in that country
        400: {
            "validation_error": {
                "model_number": ANY,
                "country": ANY,
                "phone": ANY,
                "occurred_on": "This date is in the future.",
            },
            "invalid_serial": {"serial": ANY},
        },
    },
    "POST /api/partner/v1/disposals/": {
        # the serial is read against the claim's model and compared with the claim's; the time with the clock
        400: {"invalid_serial": {"serial": ANY}, "validation_error": {"received_at": "Is in the future."}},
        422: {"serial_mismatch": {"serial": ANY}},
    },
    "GET /api/v1/facilities/": {
        # a city the gazetteer cannot place
        400: {"validation_error": {"city": ANY}},
    },
}
# What positive_data_acceptance accepts besides 2xx and 3xx (its defaults, but for 5xx: a server error
# fails not_a_server_error anyway).
ACCEPTED = {401, 403, 404, 409, 429}


def _beyond_the_schema(allowed: dict[str, str | None], fields: dict[str, list[str]]) -> bool:
    return all(
        name in allowed and (allowed[name] is ANY or messages == [allowed[name]])
        for name, messages in fields.items()
    )


@schemathesis.check
def valid_data_refused_only_for_data_beyond_the_schema(ctx, response, case):
    refusals = BEYOND_THE_SCHEMA.get(case.operation.label)
    meta = case.meta
    if refusals is None or meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in ACCEPTED:
        return None
    body = response.json() if "json" in response.headers.get("content-type", [""])[0] else {}
    code, fields = body.get("code"), body.get("fields", {})
    allowed = refusals.get(status, {})
    if code in allowed and _beyond_the_schema(allowed[code], fields):
        return None
    raise AssertionError(
        f"Valid data refused with {status} {code} {fields}: no refusal for data beyond the schema "
        f"({case.operation.label} may refuse so with {allowed or 'nothing'})"
    )
