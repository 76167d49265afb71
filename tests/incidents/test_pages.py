"""The incident page /incident/: a report in English, German and Japanese, with a photo, its
confirmation with what to do right now, and the link from a claim's status page."""

import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from claims.models import Channel
from claims.services import status_link_token
from incidents.models import Incident
from tests.claims.conftest import image_bytes, png_bomb, upload
from tests.factories import ClaimFactory

from .conftest import stored_files

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_data(**overrides) -> dict:
    data = {
        "model_number": "A1263",
        "serial": "AH23060000000042",
        "country": "DE",
        "kind": "smoke",
        "injury": "on",
        "occurred_on": (timezone.now().date() - datetime.timedelta(days=2)).isoformat(),
        "description": "Es qualmte im Rucksack.",
        "name": "Erika Mustermann",
        "email": "erika@example.com",
        "phone": "",
        "claim_reference": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("language", "title", "danger", "kind"),
    [
        ("en", "Report an incident", "Is the unit still hot, smoking or burning?", "It caught fire"),
        ("de", "Einen Vorfall melden", "Ist das Gerät noch heiß, qualmt oder brennt es?", "Es hat gebrannt"),
        ("ja", "事故を報告する", "製品がまだ熱い、煙が出ている、燃えている場合", "発火した"),
    ],
)
def test_the_page_speaks_each_language(client, us_recall, language, title, danger, kind):
    page = text(client.get("/incident/", HTTP_ACCEPT_LANGUAGE=language))
    assert f'<html lang="{language}">' in page
    assert f"<h1>{title}</h1>" in page
    assert danger in page and kind in page
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'name="photo"' in page
    assert 'type="date"' in page


@pytest.mark.parametrize(
    ("language", "thanks", "act_now"),
    [
        ("en", "Thank you, we received your report", "What to do right now"),
        ("de", "Vielen Dank, wir haben Ihre Meldung erhalten", "Was Sie jetzt sofort tun sollten"),
        ("ja", "ご報告ありがとうございます", "今すぐしていただきたいこと"),
    ],
)
def test_a_report_with_a_photo_is_confirmed_with_its_reference_and_the_safety_advice(
    client, us_recall, media, language, thanks, act_now
):
    response = client.post(
        "/incident/",
        {**form_data(), "photo": upload(image_bytes("JPEG"), "smoke.jpg")},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302 and response["Location"] == "/incident/received/"
    incident = Incident.objects.get()
    assert (incident.channel, incident.language, incident.kind, incident.injury) == (
        Channel.WEB,
        language,
        "smoke",
        True,
    )
    assert incident.property_damage is False
    assert incident.report_rule.startswith("GPSR Art. 20")  # someone hurt in Germany
    assert incident.batch == us_recall.batches.get()
    assert len(stored_files(media)) == 1

    page = text(client.get("/incident/received/", HTTP_ACCEPT_LANGUAGE=language))
    assert thanks in page and act_now in page
    assert incident.reference in page
    assert "112" in page  # the fire service's number in Germany


def test_the_confirmation_needs_a_report_of_this_browser(client, db):
    response = client.get("/incident/received/")
    assert response.status_code == 302 and response["Location"] == "/incident/"


def test_errors_are_shown_on_their_fields_and_nothing_is_taken(client, us_recall, media):
    tomorrow = (timezone.now().date() + datetime.timedelta(days=2)).isoformat()
    response = client.post(
        "/incident/",
        {**form_data(occurred_on=tomorrow, description=""), "photo": upload(b"not an image", "x.jpg")},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    page = text(response)
    assert "Es gibt ein Problem" in page or "There is a problem" in page
    assert "Dieses Feld ist zwingend erforderlich." in page  # the description
    assert not Incident.objects.exists()

    response = client.post("/incident/", {**form_data(occurred_on=tomorrow)}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert "Dieses Datum liegt in der Zukunft." in text(response)


def test_a_crafted_photo_is_refused_on_its_field(client, us_recall, media):
    response = client.post("/incident/", {**form_data(), "photo": upload(png_bomb(), "bomb.png")})
    assert response.status_code == 400
    page = text(response)
    assert "Photo of the unit or the damage (optional):" in page
    assert "files are not kept when a form has errors" in page
    assert not Incident.objects.exists() and stored_files(media) == []


def test_the_page_is_rate_limited_per_client(client, us_recall, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "incidents": "1/minute",
        },
    }
    statuses = [client.post("/incident/", form_data()).status_code for _ in range(2)]
    assert statuses == [302, 429]
    assert Incident.objects.count() == 1


def test_the_claims_status_page_opens_the_form_filled_in_with_the_claim(client, us_recall):
    claim = ClaimFactory(
        recall=us_recall, model=us_recall.models.get(), serial="AH23060000000777", country="DE"
    )
    page = client.get(f"/status/link/{status_link_token(claim)}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    [link] = re.findall(r'href="(/incident/\?[^"]+)"', page)
    link = html.unescape(link)
    assert "Brand, Rauch oder Überhitzung dieses Geräts melden" in html.unescape(page)

    form = text(client.get(link, HTTP_ACCEPT_LANGUAGE="de"))
    assert f'value="{claim.reference}"' in form
    assert 'value="AH23060000000777"' in form
    assert '<option value="A1263" selected>' in form
    assert '<option value="DE" selected>' in form

    response = client.post(
        "/incident/", form_data(claim_reference=claim.reference, serial=claim.serial, email=claim.email)
    )
    assert response.status_code == 302
    assert Incident.objects.get().claim == claim
