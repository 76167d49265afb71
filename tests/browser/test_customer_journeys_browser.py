"""A worried customer's journeys in a real Chromium, on a 390 px phone and a 1280 px laptop, in English,
German and Japanese: what matters is in the first screen, the claim form shows the country's own
remedies, cancelling asks first, a lost token is recovered by a status link, the nearest centres come
by city, and every e-mail of a claim's life is in the claim's language.

Screenshots of each page land in the test's temporary directory (``SCREENSHOTS`` keeps them elsewhere).
"""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from claims.demo import QUEUE_EMAIL_DOMAIN
from claims.models import Claim, ClaimStatus
from claims.services import claim_approve
from disposal.services import disposal_confirm
from fulfilment.services import refund_mark_paid
from outreach.demo import OWNERS_EMAIL_DOMAIN
from tests.factories import facility_with_token

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
LOCALES = {"en": "en-US", "de": "de-DE", "ja": "ja-JP"}
# What each language says, as the customer reads it.
WORDS = {
    "en": {
        "elsewhere": "Your unit is one of the recalled units.",
        "act": "What to do right now",
        "continue": "Continue",
    },
    "de": {
        "elsewhere": "Ihr Gerät gehört zu den zurückgerufenen Geräten.",
        "act": "Was Sie jetzt sofort tun sollten",
        "continue": "Weiter",
    },
    "ja": {
        "elsewhere": "お使いの製品はリコール対象の製品です。",
        "act": "今すぐしていただきたいこと",
        "continue": "次へ",
    },
}
GREETING = {"en": "Hello", "de": "Hallo", "ja": "様"}


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture(params=list(LOCALES))
def language(request):
    return request.param


@pytest.fixture
def page(chromium, viewport, language):
    context = chromium.new_context(locale=LOCALES[language], viewport=VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def shot(tmp_path, viewport, language):
    folder = Path(os.environ.get("SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}-{language}-{viewport}.png"), full_page=False)

    return take


def in_first_screen(page, selector: str) -> bool:
    """The element starts within the window the customer sees, without scrolling."""
    top = page.locator(selector).first.evaluate("element => element.getBoundingClientRect().top")
    return 0 <= top < page.viewport_size["height"] - 40


def check(page, url, model, serial, country, city=""):
    page.goto(f"{url}/")
    page.select_option("#id_model_number", model)
    page.fill("#id_serial", serial)
    page.select_option("#id_country", country)
    if city:
        page.fill("#id_city", city)
    page.locator("form[action='/#result'] button[type=submit]").click()
    page.wait_for_load_state()


def test_a_unit_recalled_only_abroad_is_a_warning_in_the_first_screen(
    live_server, demo, page, language, shot
):
    check(page, live_server.url, "A1263", "AJ23100000000042", "US")
    result = page.locator("#result")
    assert WORDS[language]["elsewhere"] in result.inner_text()
    assert WORDS[language]["act"] in result.inner_text()
    assert in_first_screen(page, "#result h2")
    shot(page, "recalled-elsewhere")


def test_the_result_and_the_error_summary_are_in_the_first_screen(live_server, demo, page, language, shot):
    check(page, live_server.url, "A1263", "AH23060000000042", "US")
    assert in_first_screen(page, "#result h2")
    assert page.locator("#result .act-now").is_visible()
    shot(page, "recalled")

    check(page, live_server.url, "A1263", "12", "US")
    assert page.get_by_role("alert").is_visible()
    assert in_first_screen(page, ".error-summary")
    assert page.title().startswith({"en": "Error:", "de": "Fehler:", "ja": "エラー:"}[language])
    shot(page, "check-error")


def test_the_claim_form_offers_the_countrys_own_remedies_after_the_country(
    live_server, demo, page, language, shot
):
    page.goto(f"{live_server.url}/claim/")
    assert page.locator("input[name=remedy]").count() == 0  # not before the market is known
    page.select_option("#id_model_number", "A1263")
    page.select_option("#id_country", "DE")
    page.get_by_role("button", name=WORDS[language]["continue"]).click()
    page.wait_for_url("**/claim/?*")
    values = [radio.get_attribute("value") for radio in page.locator("input[name=remedy]").all()]
    assert values == ["replacement", "refund"]
    assert "39" in page.locator("section.market").inner_text()  # the refund's amount
    shot(page, "claim-form-de")


def test_nearest_centres_by_city_then_a_lost_token_recovered_and_a_cancel_confirmed(
    live_server, demo, page, language, shot, mailoutbox
):
    facility_with_token("Wertstoffhof München-Nord", country="DE", latitude=48.18, longitude=11.58)
    check(page, live_server.url, "A1263", "AH23060000000077", "DE", city="München")
    centres = page.locator("#result ul.centres li").all_inner_texts()
    assert "München-Nord" in centres[0] and "km" in centres[0]
    assert "Berlin" in centres[1]
    shot(page, "centres-munich")

    claim = Claim.objects.create(
        reference="RC-BROWSER1",
        recall_id=Claim._meta.get_field("recall").related_model.objects.get(code="ANKER-2025-06-A1263").pk,
        model_id=Claim._meta.get_field("model").related_model.objects.get(model_number="A1263").pk,
        serial="AH23060000000077",
        country="DE",
        remedy="refund",
        customer_name="Grete Müller",
        email="grete@example.com",
        address_line1="Leopoldstraße 1",
        city="München",
        postal_code="80802",
        language=language,
        access_token_hash="0" * 64,
    )
    page.goto(f"{live_server.url}/status/")
    page.fill("#id_email", "grete@example.com")
    page.locator("form[action='/status/links/#lost'] button").click()
    page.wait_for_load_state()
    assert page.locator(".notice").is_visible()
    path = re.search(r"/status/link/[^\s/]+/", mailoutbox[-1].body).group(0)
    page.goto(live_server.url + path)  # the e-mail's link, on the test server
    assert claim.reference in page.locator("main").inner_text()
    assert in_first_screen(page, ".act-now")
    shot(page, "status-from-link")

    page.locator("button[name=cancel][value=ask]").click()
    page.wait_for_load_state()
    assert in_first_screen(page, "#cancel h2")  # the question, where the eye is
    shot(page, "cancel-confirm")
    claim.refresh_from_db()
    assert claim.status != ClaimStatus.CANCELLED  # asked, not done
    page.locator("button[name=cancel][value=confirmed]").click()
    page.wait_for_load_state()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED


@pytest.mark.parametrize("viewport", ["phone"])
def test_every_e_mail_of_a_claims_life_is_in_its_language(
    live_server, demo, page, language, tmp_path, mailoutbox
):
    page.goto(f"{live_server.url}/claim/?model_number=A1263&country=DE")
    page.fill("#id_name", "Grete Müller")
    page.fill("#id_email", "grete@example.com")
    page.fill("#id_address_line1", "Leopoldstraße 1")
    page.fill("#id_postal_code", "80802")
    page.fill("#id_city", "München")
    page.check("input[name=remedy][value=refund]")
    receipt = tmp_path / "receipt.png"
    from PIL import Image

    Image.new("RGB", (400, 300), "white").save(receipt)
    page.set_input_files("#id_proof_of_purchase", str(receipt))
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_url("**/claim/submitted/")
    claim = Claim.objects.exclude(email__endswith=f"@{QUEUE_EMAIL_DOMAIN}").get()
    assert claim.language == language and claim.status == ClaimStatus.NEEDS_REVIEW

    facility, _token = facility_with_token(
        "Wertstoffhof München-Nord", country="DE", latitude=48.18, longitude=11.58
    )
    claim_approve(claim=claim, agent_id="7")
    disposal_confirm(
        facility=facility, claim_reference=claim.reference, serial="AH23060000000077", condition="intact"
    )
    claim.refresh_from_db()
    refund_mark_paid(reference=claim.reference, payout_reference="SEPA-1")

    # The demo's own claims waiting for review were told they arrived and its known owners were sent
    # recall notices; the rest are the customer's.
    demo_domains = (f"@{QUEUE_EMAIL_DOMAIN}", f"@{OWNERS_EMAIL_DOMAIN}")
    mails = [mail for mail in mailoutbox if not mail.to[0].endswith(demo_domains)]
    templates = [mail.subject for mail in mails]
    assert len(mails) == 5, templates  # received, approved (hand it in), handed in, refund arranged, paid
    for mail in mails:
        assert mail.to == ["grete@example.com"]
        assert GREETING[language] in mail.body, mail.subject
        assert "/status/link/" in mail.body
