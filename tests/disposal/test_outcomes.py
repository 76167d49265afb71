"""What a disposal confirmation says and leaves behind, word for word: the partner API's refusals, the
claim's timeline and flags, the e-mail owed, the log line, and the reads other apps show."""

import datetime
import logging

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimEvent, ClaimFlag, ClaimStatus
from core.errors import ApplicationError, Conflict, Forbidden, NotFound, Refused
from core.models import OutboxMessage
from disposal.selectors import PlaceUnknown, disposal_list_for_facility, disposal_status_for_claim
from disposal.services import CLOCK_SKEW, Certification, disposal_confirm, facility_token_rotate
from tests.factories import ClaimFactory, facility_with_token

pytestmark = pytest.mark.django_db
EMPTY_RECORD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


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
    [line] = [r for r in caplog.records if getattr(r, "event", None) == "disposal.confirmed"]
    assert {k: v for k, v in vars(line).items() if k not in EMPTY_RECORD} == {
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
