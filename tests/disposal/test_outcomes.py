"""What a disposal confirmation says and leaves behind, word for word: the partner API's refusals, the
claim's timeline and flags, the e-mail owed, the log line, and the reads other apps show."""

import datetime
import logging

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimEvent, ClaimFlag, ClaimStatus
from core.errors import ApplicationError, Conflict, Forbidden, NotFound, Refused
from core.models import OutboxMessage
from disposal.models import DisposalConfirmation
from disposal.selectors import PlaceUnknown, disposal_list_for_facility, disposal_status_for_claim
from disposal.services import CLOCK_SKEW, Certification, disposal_confirm, facility_token_rotate
from tests.factories import ClaimFactory, facility_with_token
from tests.logs import event_fields, logged_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim_for(us_recall):
    model = us_recall.models.get()
    return lambda **kwargs: ClaimFactory(recall=us_recall, model=model, **kwargs)


@pytest.fixture
def centre(db):
    facility, _token = facility_with_token("Centre A")
    return facility


def refusal(excinfo):
    error = excinfo.value
    return type(error), error.code, error.detail, error.fields


def confirm(facility, claim, serial=None, **kwargs):
    return disposal_confirm(
        facility=facility,
        claim_reference=claim.reference,
        serial=serial or claim.serial,
        **{"condition": "intact", **kwargs},
    )


def test_a_confirmation_records_the_unit_on_the_claim_its_timeline_the_e_mail_and_the_log(
    centre, claim_for, caplog
):
    caplog.set_level(logging.INFO, logger="disposal.services")
    claim = claim_for(status=ClaimStatus.APPROVED)
    received = timezone.now() - datetime.timedelta(hours=2)
    result = confirm(centre, claim, condition="swollen", received_at=received)
    assert result.created is True
    claim.refresh_from_db()
    assert claim.disposal_confirmed_at == received
    event = claim.events.get(kind=ClaimEvent.Kind.DISPOSAL_CONFIRMED)
    assert (event.note, event.note_params, event.actor_kind, event.actor_id) == (
        "Handed in at %(facility)s (swollen).",
        {"facility": "Centre A"},
        ClaimEvent.Actor.FACILITY,
        str(centre.pk),
    )
    owed = [m.payload for m in OutboxMessage.objects.filter(topic=OutboxMessage.Topic.CLAIM_EMAIL)]
    assert {"claim_id": claim.pk, "template": "disposal_confirmed"} in owed
    [line] = logged_events(caplog, "disposal.confirmed")
    assert event_fields(line) == {
        "event": "disposal.confirmed",
        "claim": claim.reference,
        "facility": centre.pk,
        "condition": "swollen",
        "status": claim.status,
        "flagged": False,
    }

    again = confirm(centre, claim)
    assert (again.created, again.confirmation.pk) == (False, result.confirmation.pk)


def test_the_partner_apis_refusals_in_words(centre, claim_for):
    claim = claim_for()
    with pytest.raises(NotFound) as unknown:
        disposal_confirm(facility=centre, claim_reference="RC-NOPE", serial=claim.serial, condition="intact")
    assert refusal(unknown) == (NotFound, "not_found", "No claim with this reference.", None)

    with pytest.raises(ApplicationError) as future:
        confirm(centre, claim, received_at=timezone.now() + CLOCK_SKEW + datetime.timedelta(minutes=1))
    assert future.value.fields == {"received_at": ["Is in the future."]}
    # within the clock skew of a centre's till, it is taken as given
    assert confirm(
        centre, claim_for(), received_at=timezone.now() + CLOCK_SKEW - datetime.timedelta(minutes=1)
    )

    with pytest.raises(Refused) as mismatch:
        confirm(centre, claim_for(), serial="AH23060000000999")
    assert refusal(mismatch)[1:] == (
        "serial_mismatch",
        "The unit's serial number is not the claim's.",
        {"serial": ["The claim is for another unit of model A1263."]},
    )

    confirm(centre, claim)
    other, _token = facility_with_token("Centre B")
    with pytest.raises(Conflict) as taken:
        confirm(other, claim)
    assert refusal(taken) == (
        Conflict,
        "already_disposed",
        "Another facility has confirmed this unit's disposal.",
        None,
    )

    centre.active = False
    centre.save()
    with pytest.raises(Forbidden) as uncertified:
        confirm(centre, claim_for())
    assert refusal(uncertified) == (
        Forbidden,
        "facility_not_certified",
        "This facility is inactive, does not take lithium-ion, or its certification has expired.",
        None,
    )


def test_a_unit_handed_in_abroad_holds_its_claim_with_where(claim_for):
    abroad, _token = facility_with_token("Zentrum Berlin", country="DE")
    claim = claim_for(status=ClaimStatus.AWAITING_DISPOSAL)
    confirm(abroad, claim)
    flag = claim.flags.get()
    assert (flag.reason, flag.detail) == (
        ClaimFlag.Reason.DISPOSED_ABROAD,
        "Handed in at Zentrum Berlin in DE; the claim is for US.",
    )
    claim.refresh_from_db()
    assert claim.status != ClaimStatus.FULFILLING


def test_a_proof_only_claim_learns_its_serial_and_flags_what_does_not_add_up(centre, claim_for):
    proof_only = claim_for(serial="", serial_recalled=False)
    confirm(centre, proof_only, serial="ah2306-0000-0000-77")
    proof_only.refresh_from_db()
    assert (proof_only.serial, proof_only.serial_recalled) == ("AH23060000000077", True)
    assert not proof_only.flags.exists()

    not_recalled = claim_for(serial="", serial_recalled=False)
    confirm(centre, not_recalled, serial="AH23070000000001")
    flag = not_recalled.flags.get()
    assert (flag.reason, flag.detail) == (
        ClaimFlag.Reason.SERIAL_NOT_RECALLED,
        "Serial AH23070000000001 handed in is not in a recalled batch for US.",
    )
    not_recalled.refresh_from_db()
    assert (not_recalled.serial, not_recalled.serial_recalled) == ("AH23070000000001", False)

    holder = claim_for(serial="AH23060000000088")
    twin = claim_for(serial="", serial_recalled=False)
    confirm(centre, twin, serial="AH23060000000088")
    flag = twin.flags.get()
    assert (flag.reason, flag.detail, flag.related_claim_id) == (
        ClaimFlag.Reason.SERIAL_SEEN_ELSEWHERE,
        f"Serial AH23060000000088 handed in here is claimed by {holder.reference}.",
        holder.pk,
    )
    assert Claim.objects.get(pk=twin.pk).serial == ""


def test_what_the_claim_and_the_centre_read(centre, claim_for, django_assert_num_queries):
    claim = claim_for()
    assert disposal_status_for_claim(claim) == {"status": "pending", "facility": None, "confirmed_at": None}
    received = timezone.now() - datetime.timedelta(minutes=5)
    confirm(centre, claim, received_at=received)
    with django_assert_num_queries(1):  # the centre comes with its confirmation
        assert disposal_status_for_claim(claim) == {
            "status": "confirmed",
            "facility": "Centre A",
            "confirmed_at": received,
        }
    with django_assert_num_queries(1):
        listed = list(disposal_list_for_facility(facility=centre))
        assert [c.claim.reference for c in listed] == [claim.reference]
    other = claim_for()
    assert disposal_status_for_claim(other)["status"] == "pending"  # only its own confirmation


def test_a_certification_is_read_as_scheme_number_and_date_and_refused_in_words():
    assert Certification.parse(" R2 : R2-1 : 2027-03-31 ") == Certification(
        "R2", "R2-1", datetime.date(2027, 3, 31)
    )
    # a scheme's name may hold a colon; the number and the date are the last two parts
    assert Certification.parse("GRS:Batterien:G-1:2027-03-31") == Certification(
        "GRS:Batterien", "G-1", datetime.date(2027, 3, 31)
    )
    with pytest.raises(ApplicationError) as bad:
        Certification.parse("R2-2027")
    assert (bad.value.code, bad.value.detail) == (
        "validation_error",
        "'R2-2027' is not SCHEME:NUMBER:YYYY-MM-DD (e.g. R2:R2-12345:2027-03-31).",
    )


def test_a_city_that_cannot_be_placed_is_a_validation_error_on_city():
    error = PlaceUnknown("Atlantis", "DE")
    assert (error.code, error.detail, error.fields) == (
        "validation_error",
        "The request has invalid fields.",
        {"city": ["No city called Atlantis is known in DE."]},
    )


def test_a_rotated_token_is_stored_with_its_time(centre):
    before = centre.token_rotated_at
    facility_token_rotate(facility=centre)
    centre.refresh_from_db()
    assert centre.token_rotated_at > before


# --- Facilities --------------------------------------------------------------------------------------

CERT = [Certification("R2", "R2-1", datetime.date(2030, 1, 1))]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "XX"}, "'XX' is not an ISO 3166-1 alpha-2 country code."),
        ({"name": "  "}, "A facility needs a name."),
        ({"latitude": 1.0}, "Give both latitude and longitude, or neither."),
        ({"latitude": 90.01, "longitude": 0.0}, "Latitude is -90..90 and longitude -180..180."),
        ({"latitude": -90.01, "longitude": 0.0}, "Latitude is -90..90 and longitude -180..180."),
        ({"latitude": 0.0, "longitude": 180.01}, "Latitude is -90..90 and longitude -180..180."),
        ({"latitude": 0.0, "longitude": -180.01}, "Latitude is -90..90 and longitude -180..180."),
        ({"certifications": []}, "A facility needs at least one certification."),
    ],
)
def test_a_facility_is_refused_in_words(kwargs, message, db):
    from disposal.services import facility_create

    with pytest.raises(ApplicationError) as refused:
        facility_create(**{"name": "Centre", "country": "US", "certifications": CERT, **kwargs})
    assert (refused.value.code, refused.value.detail) == ("validation_error", message)


@pytest.mark.parametrize(("latitude", "longitude"), [(90.0, 180.0), (-90.0, -180.0)])
def test_a_facility_at_the_edge_of_the_map_is_taken_as_given(latitude, longitude, db):
    from disposal.services import facility_create

    facility, token = facility_create(
        name=" Pole ",
        country="us",
        certifications=CERT,
        address=" 1 Ice Road ",
        latitude=latitude,
        longitude=longitude,
    )
    assert (facility.name, facility.country, facility.address, facility.is_demo) == (
        "Pole",
        "US",
        "1 Ice Road",
        False,
    )
    assert (facility.latitude, facility.longitude) == (latitude, longitude)
    assert len(token) == 43  # 32 random bytes
    plain, _token = facility_create(name="Plain", country="US", certifications=CERT)
    assert plain.address == ""


def test_a_confirmation_costs_a_known_number_of_queries(centre, claim_for, django_assert_num_queries):
    claim = claim_for(status=ClaimStatus.APPROVED)
    # the claim with its model, its lock, the existing record with its centre, the certification,
    # the insert and its savepoints, the event, the claim's update, the e-mail owed, the return kit
    # marked returned, the status change
    with django_assert_num_queries(13):
        confirm(centre, claim)


def test_a_record_that_appears_under_the_lock_is_a_conflict_in_words(centre, claim_for, monkeypatch):
    from django.db import IntegrityError

    def clash(**kwargs):
        raise IntegrityError("unique")

    monkeypatch.setattr(DisposalConfirmation.objects, "create", clash)
    with pytest.raises(Conflict) as refused:
        confirm(centre, claim_for())
    assert refusal(refused) == (
        Conflict,
        "already_disposed",
        "This unit's disposal is already recorded.",
        None,
    )


def test_the_remedy_moves_on_only_when_nothing_holds_the_claim(centre, claim_for, caplog):
    caplog.set_level(logging.INFO, logger="disposal.services")
    ready = claim_for(status=ClaimStatus.AWAITING_DISPOSAL, serial="", serial_recalled=False)
    confirm(centre, ready, serial="AH23060000000091")
    moved = ready.events.get(new_status=ClaimStatus.FULFILLING)
    assert (moved.actor_kind, moved.actor_id) == (ClaimEvent.Actor.FACILITY, str(centre.pk))

    held = claim_for(status=ClaimStatus.AWAITING_DISPOSAL, serial="", serial_recalled=False)
    confirm(centre, held, serial="AH23070000000091")
    held.refresh_from_db()
    assert held.status == ClaimStatus.NEEDS_REVIEW

    abroad, _token = facility_with_token("Zentrum", country="DE")
    far = claim_for(status=ClaimStatus.AWAITING_DISPOSAL)
    confirm(abroad, far)
    flags = [r.flagged for r in logged_events(caplog, "disposal.confirmed")]
    assert flags == [False, True, True]

    # a claim that knows its serial is not checked again at the centre
    known = claim_for(serial="AH23070000000092", serial_recalled=False)
    confirm(centre, known)
    assert not known.flags.exists()


def test_a_serial_claimed_elsewhere_names_the_claim_of_the_same_model(centre, claim_for, us_recall):
    from tests.factories import ProductModelFactory

    other_model = ProductModelFactory(model_number="A1257")
    ClaimFactory(recall=us_recall, model=other_model, serial="AH23060000000093")
    holder = claim_for(serial="AH23060000000093")
    twin = claim_for(serial="", serial_recalled=False)
    confirm(centre, twin, serial="AH23060000000093")
    assert twin.flags.get().related_claim_id == holder.pk


def test_the_nearest_centres_are_sorted_by_distance_to_one_decimal_from_anywhere(db):
    from disposal.selectors import facility_list_public, nearest_centres

    facility_with_token("Null Island", country="US", latitude=0.0, longitude=0.0)
    facility_with_token("Half a degree", country="US", latitude=0.5, longitude=0.0)
    facility_with_token("Nowhere known", country="US")
    found = facility_list_public(country="US", lat=0.0, lon=0.0)
    assert [(f.name, f.distance_km) for f in found] == [
        ("Null Island", 0.0),
        ("Half a degree", 55.6),
        ("Nowhere known", None),
    ]
    assert [f.name for f in facility_list_public(country="US", lat=0.0)] == [
        "Half a degree",
        "Nowhere known",
        "Null Island",
    ]

    near = nearest_centres("US", "Springfield")
    assert (near.near, near.city_unknown, len(near.centres)) == ("Springfield", "", 3)
    unknown = nearest_centres("US", "Atlantis")
    assert (unknown.near, unknown.city_unknown, [f.name for f in unknown.centres]) == (
        "",
        "Atlantis",
        ["Half a degree", "Nowhere known", "Null Island"],
    )
    plain = nearest_centres("US")
    assert (plain.near, plain.city_unknown, [f.name for f in plain.centres]) == (
        "",
        "",
        ["Half a degree", "Nowhere known", "Null Island"],
    )
    assert nearest_centres("DE").centres == []


def test_a_centres_certifications_are_listed_latest_first(api, db):
    facility, _token = facility_with_token("Centre", country="US")
    facility.certifications.create(scheme="R2", number="OLD", expires_on=datetime.date(2029, 1, 1))
    facility.certifications.create(scheme="R2", number="NEW", expires_on=datetime.date(2035, 1, 1))
    [listed] = api.get("/api/v1/facilities/", {"country": "US"}).json()["results"]
    expiries = [c["expires_on"] for c in listed["certifications"]]
    assert expiries == sorted(expiries, reverse=True) and listed["certifications"][0]["number"] == "NEW"
