"""A customer reports a fire in German in a real browser, with a photo, on a phone-sized screen, and
sees the confirmation with the reference and what to do right now (screenshots:
``var/incident-form-de.png``, ``var/incident-received-de.png``)."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from incidents.models import Incident

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium (make browser)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var"


def test_a_fire_reported_in_german_with_a_photo(live_server, chromium, us_recall, tmp_path):
    photo = tmp_path / "brand.jpg"
    Image.new("RGB", (640, 480), (60, 40, 30)).save(photo, "JPEG")
    context = chromium.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Einen Vorfall melden").click()
        page.wait_for_url("**/incident/")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("heading", name="Einen Vorfall melden", exact=True).is_visible()

        page.select_option("#id_model_number", "A1263")
        page.fill("#id_serial", "ah23-0600-0000-0042")
        page.get_by_label("Es hat gebrannt").check()
        page.get_by_label("Etwas anderes wurde beschädigt").check()
        page.fill("#id_occurred_on", (timezone.now().date() - datetime.timedelta(days=1)).isoformat())
        page.select_option("#id_country", "DE")
        page.fill("#id_description", "Beim Laden auf dem Schreibtisch in Brand geraten.")
        page.set_input_files("#id_photo", str(photo))
        page.fill("#id_name", "Grete Müller")
        page.fill("#id_email", "grete@example.com")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "incident-form-de.png"), full_page=True)
        page.get_by_role("button", name="Meldung senden").click()

        page.wait_for_url("**/incident/received/")
        assert "Vielen Dank, wir haben Ihre Meldung erhalten" in page.locator("h1").inner_text()
        reference = page.locator(".reference").inner_text().strip()
        assert page.get_by_role("heading", name="Was Sie jetzt sofort tun sollten").is_visible()
        assert "112" in page.locator(".act-now").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "incident-received-de.png"), full_page=True)
    finally:
        context.close()

    incident = Incident.objects.get(reference=reference)
    assert (incident.channel, incident.language, incident.kind) == ("web", "de", "fire")
    assert incident.serial == "AH23060000000042" and incident.property_damage and not incident.injury
    assert incident.batch == us_recall.batches.get()
    assert incident.photo_content_type == "image/jpeg"
    assert incident.photo.storage.exists(incident.photo.name)
    assert incident.report_rule.startswith("GPSR Art. 20")


def test_a_supervisor_sees_the_deadline_and_files_the_report(
    live_server, browser_page, us_recall, staff_roles
):
    from django.contrib.auth.models import Group, User

    from core.roles import SUPERVISOR
    from tests.incidents.helpers import make_incident

    supervisor = User.objects.create_user("sue7", "sue7@example.com", "sue-password-7", is_staff=True)
    supervisor.groups.add(Group.objects.get(name=SUPERVISOR))
    fire = make_incident(country="US", serial="AH23060000000042", photo=None)
    for serial in ("AH23070000000001", "AH23070000000002", "AH23070000000003"):
        make_incident(kind="smoke", serial=serial)

    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "sue7")
    page.fill("#id_password", "sue-password-7")
    page.get_by_role("button", name="Log in").click()
    deadlines = page.locator("#incident-deadlines")
    assert fire.reference in deadlines.inner_text()
    assert "h" in deadlines.locator(".time-left").first.inner_text()
    assert "may need widening" in page.locator("#incident-clusters").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin-incidents-index.png"), full_page=True)

    deadlines.get_by_role("link", name=fire.reference).click()
    page.select_option("#id_severity", "severe")
    page.fill("#id_regulator_reference", "CPSC-2026-0042")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector(".messagelist")
    page.goto(f"{live_server.url}/admin/")
    assert "every serious incident is reported" in page.locator("#incident-deadlines").inner_text()
    fire.refresh_from_db()
    assert fire.status == "reported" and fire.deadline_met
