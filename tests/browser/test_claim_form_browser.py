"""Customers' path through the pages in a real browser: check, claim with an upload, confirmation, status."""

from pathlib import Path

import pytest
from PIL import Image

from claims.models import Claim, ClaimDocument, ClaimStatus

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium (make browser)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def image(tmp_path, name: str, fmt: str) -> Path:
    path = tmp_path / name
    Image.new("RGB", (320, 200), (30, 90, 160)).save(path, fmt)
    return path


def fill_contact(page, *, name: str, city: str, postal_code: str) -> None:
    page.fill("#id_name", name)
    page.fill("#id_email", "customer@example.com")
    page.fill("#id_address_line1", "1 Main Street")
    page.fill("#id_postal_code", postal_code)
    page.fill("#id_city", city)


def test_check_then_claim_in_english_with_a_label_photo(live_server, browser_page, us_recall, tmp_path):
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.select_option("#id_model_number", "A1263")
    page.fill("#id_serial", "ah23 0600 0000 0077")
    page.select_option("#id_country", "US")
    page.get_by_role("button", name="Check", exact=True).click()
    assert page.get_by_role("heading", name="Your unit is recalled.").is_visible()

    page.get_by_role("link", name="Claim your remedy").click()
    page.wait_for_url("**/claim/?*")
    assert page.input_value("#id_serial") == "AH23060000000077"
    assert page.input_value("input[name=country]") == "US"
    page.check("input[name=remedy][value=gift_card]")
    fill_contact(page, name="Ada Lovelace", city="Springfield", postal_code="12345")
    page.select_option("#id_region", "IL")  # the US form asks for the state, between city and ZIP code
    page.set_input_files("#id_product_photo", str(image(tmp_path, "label.png", "PNG")))
    page.get_by_role("button", name="Submit claim").click()

    page.wait_for_url("**/claim/submitted/")
    reference = page.locator(".reference").inner_text().strip()
    token = page.locator("#access-token").inner_text().strip()
    claim = Claim.objects.get(reference=reference)
    assert claim.token_matches(token)
    assert claim.serial == "AH23060000000077"
    assert claim.language == "en"
    document = claim.documents.get()
    assert document.kind == ClaimDocument.Kind.PRODUCT_PHOTO
    assert document.content_type == "image/png"
    assert (document.width, document.height) == (320, 200)
    assert document.file.storage.exists(document.file.name)

    page.reload()
    assert page.locator("#access-token").count() == 0
    assert reference in page.content()

    page.locator("main a.button", has_text="Follow your claim").click()
    assert page.input_value("#id_reference") == reference
    page.fill("#id_token", token)
    page.get_by_role("button", name="Show my claim").click()
    assert page.locator("#claim-status").inner_text().strip()
    assert reference in page.locator("dl.summary").inner_text()


def test_claim_in_german_with_a_receipt_via_the_language_switcher(
    live_server, browser_page, us_recall, tmp_path
):
    page = browser_page
    page.goto(f"{live_server.url}/claim/")
    page.get_by_role("button", name="Deutsch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", name="Antrag stellen", exact=True).is_visible()

    page.select_option("#id_model_number", "A1263")
    page.select_option("#id_country", "DE")
    page.get_by_role("button", name="Weiter").click()  # the market first: then only its remedies
    page.wait_for_url("**/claim/?*")
    assert page.locator("input[name=remedy]").count() == 2
    page.check("input[name=remedy][value=refund]")
    fill_contact(page, name="Grete Müller", city="Berlin", postal_code="10115")
    page.set_input_files("#id_proof_of_purchase", str(image(tmp_path, "kassenbon.jpg", "JPEG")))
    page.set_input_files("#id_product_photo", str(image(tmp_path, "etikett.png", "PNG")))
    page.get_by_role("button", name="Antrag absenden").click()

    page.wait_for_url("**/claim/submitted/")
    assert "Vielen Dank" in page.locator("h1").inner_text()
    assert page.locator("#claim-status").inner_text().strip() == "Wird von unserem Support-Team geprüft"
    reference = page.locator(".reference").inner_text().strip()
    claim = Claim.objects.get(reference=reference)
    assert claim.status == ClaimStatus.NEEDS_REVIEW
    assert claim.language == "de"
    assert claim.customer_name == "Grete Müller"
    assert sorted(claim.documents.values_list("kind", "content_type")) == [
        (ClaimDocument.Kind.PRODUCT_PHOTO, "image/png"),
        (ClaimDocument.Kind.PROOF_OF_PURCHASE, "image/jpeg"),
    ]


def test_an_error_keeps_what_was_typed_in_german(live_server, browser_page, us_recall):
    page = browser_page
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": live_server.url}])
    page.goto(f"{live_server.url}/claim/")
    page.select_option("#id_model_number", "A1263")
    page.select_option("#id_country", "DE")
    page.get_by_role("button", name="Weiter").click()
    page.wait_for_url("**/claim/?*")
    page.check("input[name=remedy][value=replacement]")
    fill_contact(page, name="Grete Müller", city="Berlin", postal_code="10115")
    page.get_by_role("button", name="Antrag absenden").click()

    alert = page.get_by_role("alert")
    assert "Geben Sie die Seriennummer des Geräts an" in alert.inner_text()
    assert page.input_value("#id_name") == "Grete Müller"
    assert page.input_value("input[name=country]") == "DE"
    assert Claim.objects.count() == 0


def test_japanese_from_the_browser_locale(live_server, chromium, us_recall):
    context = chromium.new_context(locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        assert page.locator("html").get_attribute("lang") == "ja"
        assert "リコール対象ですか" in page.locator("h1").inner_text()
    finally:
        context.close()
