"""Creating a recycling centre: each check says which input is wrong, and nothing is kept on refusal."""

import datetime

import pytest

from core.errors import ApplicationError
from disposal.models import RecyclingFacility, hash_facility_token
from disposal.services import Certification, facility_create

pytestmark = pytest.mark.django_db

R2 = Certification(scheme="R2", number="R2-1", expires_on=datetime.date(2030, 1, 1))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"country": "XX"}, "is not an ISO 3166-1 alpha-2 country code"),
        ({"country": "DEU"}, "is not an ISO 3166-1 alpha-2 country code"),
        ({"name": "   "}, "needs a name"),
        ({"latitude": 52.5}, "both latitude and longitude"),
        ({"longitude": 13.4}, "both latitude and longitude"),
        ({"latitude": 91.0, "longitude": 13.4}, "Latitude is -90..90"),
        ({"latitude": 52.5, "longitude": -181.0}, "Latitude is -90..90"),
        ({"certifications": []}, "at least one certification"),
    ],
)
def test_each_wrong_input_is_refused_and_nothing_is_kept(arguments, message):
    given = {"name": "Wertstoffhof", "country": "DE", "certifications": [R2], **arguments}

    with pytest.raises(ApplicationError) as refused:
        facility_create(**given)

    assert refused.value.code == "validation_error" and message in refused.value.detail
    assert not RecyclingFacility.objects.exists()


def test_a_facility_is_created_with_its_token_stored_hashed_only():
    facility, token = facility_create(
        name=" Wertstoffhof Mitte ", country="de", certifications=[R2], latitude=-90.0, longitude=180.0
    )

    facility.refresh_from_db()
    assert (facility.country, facility.latitude, facility.longitude) == ("DE", -90.0, 180.0)
    assert facility.api_token_hash == hash_facility_token(token) and token not in facility.api_token_hash
    assert [(c.scheme, c.number) for c in facility.certifications.all()] == [("R2", "R2-1")]
