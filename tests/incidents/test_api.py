"""POST /api/v1/incidents/: what it takes, what it refuses and why, what it links a report to."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from claims.models import Channel
from core.errors import ApplicationError
from incidents import services
from incidents.models import Incident, IncidentStatus
from recalls.models import RecalledSerial
from tests.claims.conftest import image_bytes, jpeg_with_gps, png_bomb, upload
from tests.factories import ClaimFactory, MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory

from .conftest import INCIDENTS, incident_payload, report, stored_files
from .helpers import make_incident

pytestmark = pytest.mark.django_db


def test_a_report_is_received_with_its_reference_and_linked_to_its_batch_and_recall(api, us_recall):
    response = report(api)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"reference", "status"} and body["status"] == "received"
    assert body["reference"].startswith("IN-") and len(body["reference"]) == 11
    incident = Incident.objects.get(reference=body["reference"])
    assert incident.channel == Channel.API
    assert incident.status == IncidentStatus.RECEIVED
    assert incident.recall == us_recall
    assert incident.batch == us_recall.batches.get()
    assert incident.serial == "AH23060000000042"
    assert (incident.kind, incident.injury, incident.property_damage) == ("fire", False, True)
    assert incident.claim is None


def test_a_unit_outside_the_recalled_batches_is_taken_with_the_recall_of_its_model_and_no_batch(
    api, us_recall
):
    response = report(api, incident_payload(serial="AH2307 0000 0000 42", kind="smoke"))
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.serial == "AH23070000000042"
    assert (incident.recall, incident.batch) == (us_recall, None)


def test_a_unit_of_a_batch_recalled_abroad_is_linked_to_that_batch(api, us_recall):
    japan = MarketRuleFactory(country="JP", offers_gift_card=False)
    batch = RecalledBatchFactory(recall=japan.recall, model=us_recall.models.get(), markets=["JP"])
    SerialRangeFactory(batch=batch, prefix="AJ2310", start=0, end=199_999)
    assert report(api, incident_payload(serial="AJ23100000000042")).status_code == 201
    incident = Incident.objects.get()
    assert incident.batch == batch  # physically one of the recalled units
    assert incident.recall == us_recall  # the recall of the model in the US


def test_a_report_without_serial_or_recall_is_taken_for_any_known_model(api, us_recall):
    response = report(api, incident_payload(serial=None, country="FR", phone="+33 1 42 68 53 00"))
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert (incident.serial, incident.batch, incident.recall, incident.country) == ("", None, None, "FR")
    assert incident.phone == "+33142685300"


def test_the_claim_reference_links_the_reporters_own_claim(api, us_recall):
    claim = ClaimFactory(
        recall=us_recall, model=us_recall.models.get(), email="jane@example.com", serial="AH23060000000777"
    )
    response = report(api, incident_payload(claim_reference=claim.reference.lower(), serial=""))
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert (incident.claim, incident.claim_reference) == (claim, claim.reference)


def test_a_claim_of_the_same_unit_is_linked_whatever_the_email(api, us_recall):
    claim = ClaimFactory(
        recall=us_recall, model=us_recall.models.get(), email="other@example.com", serial="AH23060000000042"
    )
    assert report(api, incident_payload(claim_reference=claim.reference)).status_code == 201
    assert Incident.objects.get().claim == claim


def test_someone_elses_claim_is_not_linked_nor_disclosed(api, us_recall):
    claim = ClaimFactory(
        recall=us_recall, model=us_recall.models.get(), email="other@example.com", serial="AH23060000000777"
    )
    known = report(api, incident_payload(claim_reference=claim.reference))
    unknown = report(api, incident_payload(claim_reference="RC-00000000"))
    assert known.status_code == unknown.status_code == 201
    assert set(Incident.objects.values_list("claim", flat=True)) == {None}
    assert set(Incident.objects.values_list("claim_reference", flat=True)) == {claim.reference, "RC-00000000"}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"model_number": "X9999"}, "validation_error", "model_number"),
        ({"country": "XX"}, "validation_error", "country"),
        ({"kind": "flood"}, "validation_error", "kind"),
        ({"injury": "maybe"}, "validation_error", "injury"),
        ({"injury": 1}, "validation_error", "injury"),
        ({"property_damage": None}, "validation_error", "property_damage"),
        ({"occurred_on": "20250101"}, "validation_error", "occurred_on"),
        ({"occurred_on": "yesterday"}, "validation_error", "occurred_on"),
        ({"description": "   "}, "validation_error", "description"),
        ({"description": None}, "validation_error", "description"),
        ({"name": None}, "validation_error", "name"),
        ({"email": "not-an-address"}, "validation_error", "email"),
        ({"phone": "12"}, "validation_error", "phone"),
        ({"claim_reference": "RC-123"}, "validation_error", "claim_reference"),
        ({"claim_reference": "IN-7K3F9QX2"}, "validation_error", "claim_reference"),
        ({"serial": "AH23"}, "invalid_serial", "serial"),
    ],
)
def test_each_bad_field_is_a_clear_400_on_that_field(api, us_recall, overrides, code, field):
    response = report(api, incident_payload(**overrides))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code and body["detail"]
    assert field in body["fields"]
    assert not Incident.objects.exists()


def test_a_day_in_the_future_is_refused_in_the_markets_own_calendar(api, us_recall):
    with_time = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=datetime.UTC)  # 11 March 08:30 in Tokyo
    with time_machine.travel(with_time, tick=False):
        tomorrow_utc = "2026-03-11"
        refused = report(api, incident_payload(occurred_on=tomorrow_utc))  # in the US it is still the 10th
        taken = report(api, incident_payload(occurred_on=tomorrow_utc, country="JP", serial=""))
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"occurred_on": ["This date is in the future."]}
    assert taken.status_code == 201  # in Tokyo it is the 11th already


def test_a_photo_is_decoded_re_encoded_and_stored_privately_without_its_metadata(api, us_recall, media):
    response = report(api, files={"photo": upload(jpeg_with_gps(), "fire.jpg")})
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get()
    assert incident.photo.name.startswith("incidents/") and "fire" not in incident.photo.name
    assert incident.photo_content_type == "image/jpeg" and len(incident.photo_sha256) == 64
    [stored] = stored_files(media)
    content = stored.read_bytes()
    assert b"PhoneMaker" not in content and b"shot at home" not in content
    assert incident.injury is False and incident.property_damage is True  # multipart's words read


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<script>alert(1)</script>", "fire.jpg"),
        (png_bomb(), "bomb.png"),
        (b"", "empty.jpg"),
    ],
)
def test_a_crafted_photo_is_refused_cleanly_and_nothing_is_kept(api, us_recall, media, content, name):
    response = report(api, files={"photo": upload(content, name)})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_upload" and "photo" in body["fields"]
    assert not Incident.objects.exists()
    assert stored_files(media) == []


def test_a_pdf_is_no_photo(api, us_recall, media):
    from tests.claims.conftest import pdf_bytes

    response = report(api, files={"photo": upload(pdf_bytes(), "receipt.pdf", "application/pdf")})
    assert response.status_code == 400
    assert response.json()["fields"] == {"photo": ["Send a JPEG, PNG or WebP image."]}
    assert stored_files(media) == []


def test_a_photo_comes_as_a_file_of_a_multipart_form_only(api, us_recall):
    response = report(api, incident_payload(photo="aGVsbG8="))
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"photo"}


def test_reports_are_throttled_per_client(api, us_recall, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"incidents": "2/minute"})
    statuses = [report(api).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert api.post(INCIDENTS, incident_payload(), format="json").json()["code"] == "throttled"


def test_a_report_png_is_kept_as_png(api, us_recall, media):
    response = report(api, files={"photo": upload(image_bytes("PNG"), "x.png", "image/png")})
    assert response.status_code == 201
    assert Incident.objects.get().photo.name.endswith(".png")


def test_the_created_time_is_when_the_programme_learnt_of_it(api, us_recall):
    before = timezone.now()
    report(api)
    assert Incident.objects.get().created_at >= before


def test_a_unit_listed_serial_by_serial_in_a_batch_recalled_abroad_is_linked_to_that_batch(api, us_recall):
    """A batch may list its serials one by one instead of by range: the listed unit is still one of it."""
    japan = MarketRuleFactory(country="JP", offers_gift_card=False)
    model = us_recall.models.get()
    RecalledBatchFactory(recall=japan.recall, model=model, markets=["JP"])  # another batch, not listing it
    batch = RecalledBatchFactory(recall=japan.recall, model=model, markets=["JP"])
    RecalledSerial.objects.create(model=model, serial="AJ23100000000042", recall=japan.recall, batch=batch)
    assert report(api, incident_payload(serial="AJ23100000000042")).status_code == 201
    assert Incident.objects.get().batch == batch


def test_a_phone_number_that_cannot_be_read_is_explained_with_the_markets_own_example(api, us_recall):
    response = report(api, incident_payload(phone="12", country="DE", serial=""))
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "phone": [
            "Enter a valid phone number for Germany (DE), such as 030 123456, or one of another country "
            "with its country code (+...)."
        ]
    }


def test_a_claim_reference_of_another_shape_is_explained_with_an_example(us_recall):
    """The API's pattern refuses it first; the page's form leaves the shape to the intake."""
    with pytest.raises(ApplicationError) as refused:
        make_incident(claim_reference="RC-123")
    assert refused.value.code == "validation_error"
    assert refused.value.fields == {"claim_reference": ["A claim reference looks like RC-7K3F9QX2."]}


def test_the_intake_itself_refuses_blank_names_and_descriptions_whatever_the_channel(us_recall):
    """The API's serializer refuses blanks first; other channels rely on the service's own check."""
    with pytest.raises(ApplicationError) as refused:
        make_incident(name=" \t", description="\x00 ")
    assert refused.value.code == "validation_error"
    assert refused.value.fields == {
        "name": ["This field may not be blank."],
        "description": ["This field may not be blank."],
    }
    assert not Incident.objects.exists()


def test_when_no_free_reference_can_be_drawn_the_report_fails_and_its_photo_is_not_kept(
    us_recall, media, monkeypatch
):
    """Five draws that all collide are a broken random source, not bad luck: the error says so, and the
    photo stored for the report is removed again."""
    taken = make_incident().reference
    draws = []
    monkeypatch.setattr(services, "new_incident_reference", lambda: draws.append(taken) or taken)
    with pytest.raises(RuntimeError, match=r"^Could not draw a free incident reference\.$"):
        make_incident(photo=upload(image_bytes("PNG"), "x.png", "image/png"))
    assert len(draws) == 5
    assert Incident.objects.count() == 1
    assert stored_files(media) == []
