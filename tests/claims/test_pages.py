"""The customer pages: serial check, claim form, confirmation, status and cancel, in three languages.

Uploads land in each test's own directory (the autouse ``media`` fixture of tests/claims/conftest.py).
"""

import base64
import io
import re

import pytest
from django.core.cache import cache
from PIL import Image

from claims.models import Claim, ClaimDocument, ClaimStatus
from claims.views import SUBMITTED_SESSION_KEY
from tests.factories import MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory, facility_with_token

pytestmark = pytest.mark.django_db

RECALLED = "AH2306-0000-0000-42"
RECALLED_NORMALISED = "AH23060000000042"


def claim_data(**overrides):
    data = {
        "model_number": "A1263",
        "serial": RECALLED,
        "country": "US",
        "remedy": "gift_card",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "",
        "address_line1": "12 Analytical Street",
        "address_line2": "",
        "city": "Springfield",
        "postal_code": "12345",
        "region": "IL",
    }
    return {**data, **overrides}


def png_upload(name="receipt.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def text(response) -> str:
    return response.content.decode()


def submit(client, **overrides):
    return client.post("/claim/", claim_data(**overrides))


def submitted_token(client) -> str:
    """Submit a claim and read its access token off the confirmation page."""
    response = submit(client)
    assert response.status_code == 302, text(response)
    page = text(client.get(response["Location"]))
    return re.search(r'id="access-token">([^<]+)<', page).group(1)


# --- Index and serial check -----------------------------------------------------------------------


def test_index_lists_active_recalls_with_models_and_remedies(client, us_recall):
    us_recall.is_demo = True
    us_recall.save()
    response = client.get("/")
    assert response.status_code == 200
    page = text(response)
    assert us_recall.title in page
    assert us_recall.code in page
    assert "A1263" in page
    assert "Gift card worth 40.00 USD" in page
    assert "Refund of 39.99 EUR" in page
    assert "Germany (DE)" in page
    assert 'class="badge-demo"' in page
    assert "household trash" in page  # the safety notice


def test_index_hides_inactive_recalls_and_demo_label_of_real_ones(client, us_recall):
    page = text(client.get("/"))
    assert 'class="badge-demo"' not in page
    us_recall.active = False
    us_recall.save()
    page = text(client.get("/"))
    assert us_recall.code not in page
    assert "There are no active recalls at the moment." in page


def test_serial_check_recalled_shows_recall_remedies_and_prefilled_claim_link(client, us_recall):
    response = client.get("/", {"model_number": "A1263", "serial": "ah23-0600-0000-0042", "country": "DE"})
    assert response.status_code == 200
    page = text(response)
    assert "Your unit is recalled." in page
    assert us_recall.code in page
    assert "Refund of 39.99 EUR" in page
    assert "Gift card" not in page.split('id="recalls-title"')[0]
    assert "/claim/?model_number=A1263&amp;serial=AH23060000000042&amp;country=DE" in page


def test_serial_check_not_recalled(client, us_recall):
    page = text(client.get("/", {"model_number": "A1263", "serial": "AH23070000000042", "country": "US"}))
    assert "Your unit is not part of a recalled batch." in page
    assert "Claim with a proof of purchase" in page


def test_serial_check_invalid_serial_is_shown_on_the_form(client, us_recall):
    response = client.get("/", {"model_number": "A1263", "serial": "123", "country": "US"})
    assert response.status_code == 400
    page = text(response)
    assert "Check the serial number on the unit&#x27;s label." in page
    assert "This cannot be a serial number of model A1263." in page
    assert 'value="123"' in page


def test_serial_check_is_rate_limited_per_client(client, us_recall, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "serial_checks": "2/minute",
        },
    }
    query = {"model_number": "A1263", "serial": RECALLED, "country": "US"}
    statuses = [client.get("/", query).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/", query, REMOTE_ADDR="10.9.8.7").status_code == 200
    assert client.get("/").status_code == 200  # the page itself is not counted


def test_a_unit_recalled_only_abroad_is_not_shown_as_safe(client, us_recall):
    japan = MarketRuleFactory(country="JP", offers_gift_card=False)
    batch = RecalledBatchFactory(recall=japan.recall, model=us_recall.models.get(), markets=["JP"])
    SerialRangeFactory(batch=batch, prefix="AJ2310", start=0, end=199_999)
    page = text(client.get("/", {"model_number": "A1263", "serial": "AJ23100000000042", "country": "US"}))
    assert "Your unit is one of the recalled units." in page
    assert "not part of a recalled batch" not in page
    assert "Stop using it now." in page
    assert f"recall {japan.recall.code}, in Japan" in page
    assert "Claim with a proof of purchase" in page
    assert "<title>Recalled:" in page

    claimed = text(submit(client, serial="AJ23100000000042"))
    assert "This unit is one of those recalled in Japan (JP): stop using it now" in claimed
    assert "send a proof of purchase" in claimed


def test_the_result_comes_first_and_the_form_jumps_to_it(client, us_recall):
    facility_with_token("Springfield centre", country="US", latitude=37.2, longitude=-93.3)
    page = text(
        client.get("/", {"model_number": "A1263", "serial": RECALLED, "country": "US", "city": "Springfield"})
    )
    assert page.index('id="result"') < page.index('id="check-title"') < page.index('id="recalls-title"')
    assert page.index("What to do right now") < page.index("Claim your remedy")
    assert "Springfield centre" in page and "nearest to Springfield first" in page
    assert 'action="/#result"' in page
    assert page.count("Stop using") == 1  # said once, in the box, not again in a general notice
    assert "city=Springfield" in page  # the claim form is prefilled with it


def test_an_error_leads_the_page_and_its_title(client, us_recall):
    page = text(client.get("/", {"model_number": "A1263", "serial": "1", "country": "US"}))
    assert "<title>Error:" in page
    assert page.index("There is a problem") < page.index('id="check-title"')
    page = text(submit(client, serial="XX-1"))
    assert "<title>Error:" in page
    assert page.index("There is a problem") < page.index('id="form-title"')


# --- Claim form -----------------------------------------------------------------------------------


def test_claim_form_shows_all_fields_and_only_the_remedies_of_the_customers_country(client, us_recall):
    page = text(
        client.get("/claim/", {"model_number": "A1263", "serial": RECALLED_NORMALISED, "country": "DE"})
    )
    for name in claim_data():
        assert f'name="{name}"' in page or name == "region"  # Germany's addresses have no state
    assert 'enctype="multipart/form-data"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'type="file" name="proof_of_purchase"' in page
    assert 'type="file" name="product_photo"' in page
    assert f'value="{RECALLED_NORMALISED}"' in page
    assert '<input type="hidden" name="country" value="DE">' in page
    assert re.findall(r'name="remedy" value="(\w+)"', page) == ["replacement", "refund"]
    assert "Refund of 39.99 EUR" in page
    assert "Gift card" not in page  # offered in the US only
    assert "the remedy is issued once the centre confirms" in page  # Germany: disposal first
    assert "TEST-RECALL" not in page.replace(us_recall.code, "")  # no other recall's table


def test_the_address_is_asked_in_the_markets_order_with_its_states_or_prefectures(client, us_recall):
    def order(page):
        names = ["address_line1", "address_line2", "city", "region", "postal_code"]
        return sorted((page.index(f'name="{name}"'), name) for name in names if f'name="{name}"' in page)

    us = text(client.get("/claim/", {"model_number": "A1263", "country": "US"}))
    assert [name for _, name in order(us)] == [
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
    ]
    assert '<option value="CA">California</option>' in us and "ZIP code" in us
    de = text(client.get("/claim/", {"model_number": "A1263", "country": "DE"}))
    assert [name for _, name in order(de)] == ["address_line1", "address_line2", "postal_code", "city"]

    MarketRuleFactory(recall=us_recall, country="JP", offers_gift_card=False)
    jp = text(client.get("/claim/", {"model_number": "A1263", "country": "JP"}, HTTP_ACCEPT_LANGUAGE="ja"))
    assert [name for _, name in order(jp)] == [
        "postal_code",
        "region",
        "city",
        "address_line1",
        "address_line2",
    ]
    assert '<option value="東京都">東京都</option>' in jp

    refused = text(submit(client, region="Narnia"))
    assert "Narnia is not one of the available choices." in refused
    refused = text(submit(client, postal_code="1234"))
    assert "This is not a postal code of United States of America (US), such as 95014." in refused
    assert Claim.objects.count() == 0
    assert submit(client, region="CA").status_code == 302
    assert Claim.objects.get().region == "CA"


def test_claim_form_asks_for_the_model_and_country_first_without_javascript(client, us_recall):
    page = text(client.get("/claim/"))
    assert 'method="get"' in page and 'name="country"' in page and 'name="model_number"' in page
    assert 'name="remedy"' not in page and 'name="email"' not in page
    chosen = text(client.get("/claim/", {"model_number": "A1263", "country": "US"}))
    assert re.findall(r'name="remedy" value="(\w+)"', chosen) == ["replacement", "gift_card"]
    assert "Gift card worth 40.00 USD" in chosen and "Refund" not in chosen
    assert "photo of the unit with the word RECALLED" not in chosen  # this test market asks for none


def test_claim_success_shows_reference_and_token_once(client, us_recall):
    response = submit(client, product_photo=png_upload("label.png"))
    assert response.status_code == 302
    assert response["Location"] == "/claim/submitted/"
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.APPROVED
    assert claim.serial == RECALLED_NORMALISED
    assert claim.documents.get().kind == ClaimDocument.Kind.PRODUCT_PHOTO

    page = text(client.get("/claim/submitted/"))
    assert claim.reference in page
    token = re.search(r'id="access-token">([^<]+)<', page).group(1)
    assert claim.token_matches(token)
    assert token not in response["Location"]
    assert f'href="/status/?reference={claim.reference}"' in page
    assert "Approved" in page
    assert "token" not in client.session[SUBMITTED_SESSION_KEY]

    again = client.get("/claim/submitted/")
    assert again.status_code == 200
    assert claim.reference in text(again)
    assert token not in text(again)
    assert "is not shown again" in text(again)
    assert again["Cache-Control"].startswith("max-age=0")


def test_confirmation_without_a_claim_goes_to_the_form(client, db):
    response = client.get("/claim/submitted/")
    assert response.status_code == 302
    assert response["Location"] == "/claim/"


def test_proof_only_claim_with_upload_goes_to_review(client, us_recall):
    response = submit(client, serial="", proof_of_purchase=png_upload())
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.NEEDS_REVIEW
    assert claim.documents.get().kind == ClaimDocument.Kind.PROOF_OF_PURCHASE
    assert "Being checked by our support team" in text(client.get("/claim/submitted/"))


def test_invalid_serial_is_shown_and_what_was_typed_is_kept(client, us_recall):
    response = submit(client, serial="XX-1")
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert "Check the serial number on the unit&#x27;s label." in page
    assert 'value="XX-1"' in page
    assert 'value="Ada Lovelace"' in page
    assert 'value="12 Analytical Street"' in page
    assert '<input type="hidden" name="country" value="US">' in page
    assert Claim.objects.count() == 0


def test_duplicate_serial_is_shown(client, us_recall):
    assert submit(client).status_code == 302
    response = submit(client, name="Someone Else")
    assert response.status_code == 409
    page = text(response)
    assert "This unit has already been claimed." in page
    assert "A claim for this serial number is already open." in page
    assert 'value="Someone Else"' in page
    assert Claim.objects.count() == 1


def test_no_serial_and_no_proof_is_shown(client, us_recall):
    response = submit(client, serial="")
    assert response.status_code == 400
    assert "Give the unit&#x27;s serial number or attach a proof of purchase." in text(response)


def test_not_recalled_serial_without_proof(client, us_recall):
    response = submit(client, serial="AH23070000000042")
    assert response.status_code == 422
    assert "Not in a recalled batch for this country." in text(response)


def test_remedy_not_offered_names_what_is_offered(client, us_recall):
    response = submit(client, country="DE", remedy="gift_card")
    assert response.status_code == 400
    assert "In Germany (DE) this recall offers: Replacement unit, Refund." in text(response)
    assert Claim.objects.count() == 0


def test_form_errors_before_the_service(client, us_recall):
    response = submit(client, email="not-an-email", name="", remedy="")
    assert response.status_code == 400
    page = text(response)
    assert "Enter a valid email address." in page
    assert page.count("This field is required.") == 4  # in the summary and at the fields


def test_a_refused_upload_asks_to_attach_files_again(client, us_recall):
    fake = io.BytesIO(b"not an image at all")
    fake.name = "receipt.png"
    response = submit(client, proof_of_purchase=fake)
    assert response.status_code == 400
    page = text(response)
    assert "The file is not a readable JPEG, PNG or WebP image, or PDF." in page
    assert "please attach them again" in page


def test_claim_submissions_are_rate_limited(client, us_recall, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "claims": "2/minute"},
    }
    statuses = [submit(client, serial="").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    throttled = submit(client)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert "Too many requests" in text(throttled)
    assert Claim.objects.count() == 0
    assert client.post("/claim/", claim_data(), REMOTE_ADDR="10.1.2.3").status_code == 302


def test_csrf_is_enforced(us_recall):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/claim/", claim_data())
    assert response.status_code == 403


# --- Status page and cancel -----------------------------------------------------------------------


def test_status_form_prefills_the_reference_and_posts_the_token(client, db):
    page = text(client.get("/status/", {"reference": "RC-ABCD1234"}))
    assert 'value="RC-ABCD1234"' in page
    assert 'method="post" action="/status/"' in page


def test_status_with_the_right_token_shows_the_claim(client, us_recall):
    token = submitted_token(client)
    claim = Claim.objects.get()
    response = client.post("/status/", {"reference": claim.reference.lower(), "token": token})
    assert response.status_code == 200
    page = text(response)
    assert claim.reference in page
    assert "Approved" in page
    assert "Gift card" in page
    assert "Claim received" in page  # the timeline
    assert "The serial is in a recalled batch." in page
    assert "Not handed in yet." in page  # disposal pending
    assert "Cancel my claim" in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_status_shows_the_drop_off_voucher_inline(client, us_recall):
    facility_with_token("Springfield centre", country="US", latitude=37.2, longitude=-93.3)
    token = submitted_token(client)
    claim = Claim.objects.get()
    page = text(client.post("/status/", {"reference": claim.reference, "token": token}))
    encoded = re.search(r'<img src="data:image/png;base64,([^"]+)"', page).group(1)
    voucher = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert voucher.format == "PNG"
    assert f'download="voucher-{claim.reference}.png"' in page


def test_status_says_what_to_do_now_first_with_the_nearest_centres_and_no_voucher_without_one(
    client, us_recall
):
    facility_with_token("Far centre", country="US", latitude=40.7, longitude=-74.0)
    facility_with_token("Springfield centre", country="US", latitude=37.2, longitude=-93.3)
    token = submitted_token(client)  # the customer lives in Springfield
    claim = Claim.objects.get()
    page = text(client.post("/status/", {"reference": claim.reference, "token": token}))
    assert page.index("What to do right now") < page.index("Claim reference")
    assert "Stop using it now." in page and "(911)" in page
    assert page.index("Springfield centre") < page.index("Far centre")
    assert "nearest to Springfield first" in page

    Claim.objects.filter(pk=claim.pk).update(country="JP")  # no centre of the programme there
    page = text(client.post("/status/", {"reference": claim.reference, "token": token}))
    assert "no certified recycling centre in your country yet" in page
    assert "data:image/png" not in page and "(119)" in page


def test_status_shows_the_issued_gift_card_in_the_customers_language(
    client, us_recall, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        token = submitted_token(client)
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.FULFILLED
    given = {"reference": claim.reference, "token": token}
    page = text(client.post("/status/", given))
    assert claim.gift_card.display_code in page
    assert "Gift card of 40.00 USD issued." in page
    page = text(client.post("/status/", given, HTTP_ACCEPT_LANGUAGE="de"))
    assert "Gutschein über 40,00 USD ausgestellt." in page
    assert "Leistung erbracht" in page
    assert "Cancel my claim" not in page and "Meinen Antrag stornieren" not in page


@pytest.mark.parametrize("wrong", ["token", "reference"])
def test_status_with_a_wrong_token_or_reference_is_one_neutral_message(client, us_recall, wrong):
    token = submitted_token(client)
    reference = Claim.objects.get().reference
    given = {"reference": reference, "token": token, wrong: "RC-ZZZZZZZZ"}
    response = client.post("/status/", given)
    assert response.status_code == 404
    page = text(response)
    assert "We found no claim with this reference and access token." in page
    assert "Cancel my claim" not in page


def test_status_get_never_reads_a_token_from_the_url(client, us_recall):
    token = submitted_token(client)
    reference = Claim.objects.get().reference
    page = text(client.get("/status/", {"reference": reference, "token": token}))
    assert token not in page
    assert "Cancel my claim" not in page


def test_cancel_my_claim_asks_first_and_changes_nothing_until_confirmed(client, us_recall):
    token = submitted_token(client)
    claim = Claim.objects.get()
    asked = text(client.post("/status/", {"reference": claim.reference, "token": token, "cancel": "ask"}))
    assert "Do you really want to cancel your claim?" in asked
    assert 'name="cancel" value="confirmed"' in asked
    claim.refresh_from_db()
    assert claim.status != ClaimStatus.CANCELLED
    kept = text(client.post("/status/", {"reference": claim.reference, "token": token}))
    assert "Do you really want" not in kept and 'value="ask"' in kept
    claim.refresh_from_db()
    assert claim.status != ClaimStatus.CANCELLED


def test_cancel_and_cancel_again(client, us_recall):
    token = submitted_token(client)
    claim = Claim.objects.get()
    response = client.post("/status/", {"reference": claim.reference, "token": token, "cancel": "confirmed"})
    assert response.status_code == 200
    assert "Your claim is cancelled." in text(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert "Cancel my claim" not in text(response)

    again = client.post("/status/", {"reference": claim.reference, "token": token, "cancel": "confirmed"})
    assert again.status_code == 409
    assert "This claim can no longer be cancelled" in text(again)


def test_cancel_with_a_wrong_token_changes_nothing(client, us_recall):
    submitted_token(client)
    claim = Claim.objects.get()
    response = client.post(
        "/status/", {"reference": claim.reference, "token": "guess", "cancel": "confirmed"}
    )
    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


# --- Languages ------------------------------------------------------------------------------------


def test_german_from_the_browser_language(client, us_recall):
    response = client.get(
        "/claim/", {"model_number": "A1263", "country": "DE"}, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5"
    )
    page = text(response)
    assert '<html lang="de">' in page
    assert "Antrag stellen" in page
    assert "Seriennummer" in page
    assert "Rückerstattung von 39,99 EUR" in page
    assert "Wertstoffhof" in page or "Recyclingzentrum" in page


def test_german_errors_and_claim_language(client, us_recall):
    page = text(client.post("/claim/", claim_data(serial=""), HTTP_ACCEPT_LANGUAGE="de"))
    assert "Geben Sie die Seriennummer des Geräts an oder fügen Sie einen Kaufnachweis bei." in page
    response = client.post("/claim/", claim_data(), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    assert Claim.objects.get().language == "de"
    assert "Vielen Dank" in text(client.get("/claim/submitted/", HTTP_ACCEPT_LANGUAGE="de"))


def test_japanese_from_the_language_switcher(client, us_recall):
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/status/"})
    assert response.status_code == 302
    assert response["Location"] == "/status/"
    page = text(client.get("/status/"))
    assert '<html lang="ja">' in page
    assert "申請の状況" in page
    assert "アクセストークン" in page
    page = text(client.get("/"))
    assert "リコール" in page
    assert 'value="ja" lang="ja" aria-pressed="true"' in page


def test_japanese_claim_and_status(client, us_recall):
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    token = submitted_token(client)
    claim = Claim.objects.get()
    assert claim.language == "ja"
    page = text(client.post("/status/", {"reference": claim.reference, "token": token}))
    assert "承認済み" in page


def test_the_claim_received_email_speaks_the_language_of_the_form(
    client, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/claim/", claim_data(country="DE", remedy="refund"), HTTP_ACCEPT_LANGUAGE="de"
        )
    assert response.status_code == 302
    claim = Claim.objects.get()
    (email,) = mailoutbox
    assert email.subject == f"Wir haben Ihren Rückruf-Antrag {claim.reference} erhalten"
    assert "Hallo Ada Lovelace," in email.body
    assert "Hausmüll" in email.body
    assert re.search(r"/status/link/[\w:-]+/", email.body)


def test_the_claim_form_takes_its_fields_and_limits_from_the_api_input(db):
    from django import forms

    from claims.forms import ClaimForm
    from claims.serializers import ClaimCreateInputSerializer

    api_fields = ClaimCreateInputSerializer().fields
    form_fields = ClaimForm(refund_currency="EUR").fields

    assert set(form_fields) == set(api_fields)
    # The price paid is asked only where the market offers a refund.
    assert set(ClaimForm().fields) == set(api_fields) - {"price_paid"}
    for name, spec in api_fields.items():
        assert form_fields[name].required == spec.required, name
        if not isinstance(form_fields[name], forms.ChoiceField):  # a choice's values come from the catalogue
            assert getattr(form_fields[name], "max_length", None) == getattr(spec, "max_length", None), name
