import datetime
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from disposal.models import RecyclingFacility, hash_facility_token
from disposal.selectors import PlaceUnknown, facility_list_public
from tests.factories import ClaimFactory, facility_with_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/facilities/"


def test_only_active_certified_lithium_ion_facilities_are_listed(api):
    facility_with_token("Good", latitude=52.52, longitude=13.40, country="DE")
    facility_with_token("Expired", country="DE", expires_on=timezone.localdate() - datetime.timedelta(days=1))
    inactive, _ = facility_with_token("Inactive", country="DE")
    inactive.active = False
    inactive.save()
    facility_with_token("No lithium", country="DE", accepts_lithium_ion=False)
    body = api.get(URL, {"country": "DE"}).json()
    assert [f["name"] for f in body["results"]] == ["Good"]
    assert body["results"][0]["certifications"][0]["scheme"] == "R2"


def test_nearest_first_from_a_position(api):
    facility_with_token("Munich", country="DE", latitude=48.14, longitude=11.58)
    facility_with_token("Hamburg", country="DE", latitude=53.55, longitude=9.99)
    facility_with_token("Berlin", country="DE", latitude=52.52, longitude=13.40)
    facility_with_token("Unknown place", country="DE")
    body = api.get(URL, {"lat": 52.40, "lon": 13.06}).json()  # Potsdam
    assert [f["name"] for f in body["results"]] == ["Berlin", "Hamburg", "Munich", "Unknown place"]
    assert 20 < body["results"][0]["distance_km"] < 40


def test_nearest_first_from_a_city_in_any_of_its_spellings(api):
    facility_with_token("Berlin centre", country="DE", latitude=52.52, longitude=13.40)
    facility_with_token("Munich centre", country="DE", latitude=48.14, longitude=11.58)
    facility_with_token("Cologne centre", country="DE", latitude=50.94, longitude=6.96)
    for city in ("München", "munich", "MUENCHEN", "ミュンヘン"):
        body = api.get(URL, {"country": "DE", "city": city}).json()
        names = [f["name"] for f in body["results"]]
        assert names == ["Munich centre", "Cologne centre", "Berlin centre"], city
        assert [round(f["distance_km"], -1) for f in body["results"]] == [0, 460, 500]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"country": "DE", "city": "Atlantis"}, "No city called Atlantis is known in DE."),
        ({"city": "Munich"}, "A city needs its country."),
        ({"city": "Munich", "lat": "48.1", "lon": "11.6"}, "A city needs its country."),
    ],
)
def test_a_city_that_cannot_be_placed_is_400_on_city(api, query, message):
    response = api.get(URL, query)
    assert response.status_code == 400
    assert response.json()["fields"] == {"city": [message]}


@pytest.mark.parametrize(
    "query",
    [
        {"lat": "91", "lon": "0"},
        {"lat": "0", "lon": "-180.5"},
        {"lat": "50"},
        {"lon": "10"},
        {"lat": "abc", "lon": "1"},
        {"lat": "1_0", "lon": "1"},  # float() reads these; they are no numbers
        {"lat": " 1", "lon": "1"},
        {"lat": "nan", "lon": "1"},
        {"lat": "", "lon": ""},
        {"country": "XX"},
        {"country": "de"},  # the code as ISO writes it, as the schema's list of codes does
        {"country": "DEU"},
        {"country": ""},
        {"country": "DE", "city": ""},
    ],
)
def test_bad_query_is_400(api, query):
    response = api.get(URL, query)
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert set(response.json()["fields"]) <= {"lat", "lon", "country", "city"}


@pytest.mark.parametrize(
    ("lat", "lon"), [("90", "180"), ("-90", "-180"), ("0", "0"), ("-0.0", "1e-05"), ("5.25E+1", "13")]
)
def test_a_position_is_any_pair_of_numbers_in_range(api, lat, lon):
    facility_with_token("Berlin", country="DE", latitude=52.52, longitude=13.40)
    response = api.get(URL, {"lat": lat, "lon": lon})
    assert response.status_code == 200
    assert response.json()["results"][0]["distance_km"] >= 0


def test_create_facility_prints_the_token_once_and_stores_its_hash(capsys):
    call_command(
        "create_facility",
        name="Recycling Ost",
        country="de",
        certification=["R2:R2-999:2030-01-31"],
        lat=52.5,
        lon=13.4,
    )
    out = capsys.readouterr().out
    token = next(line.split("token: ")[1] for line in out.splitlines() if line.startswith("token: "))
    facility = RecyclingFacility.objects.get(name="Recycling Ost")
    assert facility.api_token_hash == hash_facility_token(token)
    assert token not in str(RecyclingFacility.objects.values().get())
    assert facility.certifications.get().number == "R2-999"


def test_create_facility_records_an_expired_certification_as_given(capsys):
    call_command("create_facility", name="Old", country="US", certification=["e-Stewards:ES-1:2020-01-01"])
    _, err = capsys.readouterr()
    assert "expired" in err
    assert not RecyclingFacility.objects.get(name="Old").is_certified()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"certification": ["R2:2030-01-01"]}, "SCHEME:NUMBER:YYYY-MM-DD"),
        ({"certification": ["R2:X:2030-13-01"]}, "SCHEME:NUMBER:YYYY-MM-DD"),
        ({"country": "XX"}, "ISO 3166-1"),
        ({"lat": 10.0}, "both latitude and longitude"),
    ],
)
def test_create_facility_bad_input(kwargs, message):
    given = {"name": "N", "country": "US", "certification": ["R2:1:2030-01-01"], **kwargs}
    with pytest.raises(CommandError, match=message):
        call_command("create_facility", **given)
    assert not RecyclingFacility.objects.exists()


def test_rotating_a_token_retires_the_old_one(api, capsys):
    facility, old = facility_with_token("Rotating")
    call_command("rotate_facility_token", facility.pk)
    new = capsys.readouterr().out.split("token: ")[1].strip()
    auth = "/api/partner/v1/disposals/"
    assert api.get(auth, HTTP_AUTHORIZATION=f"Token {old}").status_code == 401
    assert api.get(auth, HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


def test_received_email_names_the_nearest_centres(us_recall, mailoutbox):
    from claims.notifications import claim_email_send

    facility_with_token("Springfield Battery Centre", address="1 Recycling Rd, Springfield")
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    claim_email_send(claim_id=claim.pk, template="received")
    body = mailoutbox[0].body
    assert "Springfield Battery Centre" in body
    assert "household trash" in body


def test_the_e_mail_names_the_centres_nearest_the_customers_city_with_distances(us_recall, mailoutbox):
    from claims.notifications import claim_email_send

    us_recall.market_rules.filter(country="DE").update(disposal_before_remedy=False)
    facility_with_token("Berlin centre", country="DE", latitude=52.52, longitude=13.40)
    facility_with_token("Munich centre", country="DE", latitude=48.14, longitude=11.58)
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), country="DE", city="München")
    claim_email_send(claim_id=claim.pk, template="received")
    body = mailoutbox[0].body
    assert body.index("Munich centre") < body.index("Berlin centre")
    assert re.search(r"Munich centre, .* \(0\.\d km\)\n- Berlin centre, .* \(50\d\.\d km\)", body)


def test_a_city_without_its_country_cannot_be_placed():
    """Callers other than the API (which checks first) hear the same 400 on ``city``."""
    with pytest.raises(PlaceUnknown) as refused:
        facility_list_public(city="Munich")
    assert refused.value.code == "validation_error"
    assert refused.value.fields == {"city": ["A city needs its country."]}
