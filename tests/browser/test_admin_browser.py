"""A support agent's day in a real browser: log in, open a claim that needs review, see the receipt, approve."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from claims.models import ClaimStatus
from core.roles import SUPPORT_AGENT
from tests.factories import ClaimFactory, attach_receipt

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium (make browser)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_reviews_and_approves_a_proof_only_claim(live_server, browser_page, us_recall, staff_roles):
    agent = User.objects.create_user("agent7", password="agent-password-7", is_staff=True)
    agent.groups.add(Group.objects.get(name=SUPPORT_AGENT))
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), serial="", serial_recalled=False)
    attach_receipt(claim, width=300, height=200, colour=(200, 40, 40))

    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "agent7")
    page.fill("#id_password", "agent-password-7")
    page.get_by_role("button", name="Log in").click()
    page.locator("#content-main a[href='/admin/claims/claim/']").first.click()
    page.locator(".status-counts").get_by_role("link", name="Needs review").click()
    page.get_by_role("link", name=claim.reference).click()

    receipt_image = page.locator("img[alt='Proof of purchase']")
    receipt_image.wait_for()
    loaded_width = receipt_image.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert loaded_width == 300  # the image really came through the authenticated view

    page.screenshot(
        path=str(Path(__file__).resolve().parents[2] / "var" / "admin-review.png"), full_page=True
    )
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector(".messagelist")
    assert f"{claim.reference}: now" in page.locator(".messagelist").inner_text()
    claim.refresh_from_db()
    assert claim.status in (ClaimStatus.APPROVED, ClaimStatus.FULFILLING, ClaimStatus.FULFILLED)
    assert claim.events.filter(new_status="approved", actor_kind="agent", actor_id=str(agent.pk)).exists()


def test_agent_sees_why_a_claim_was_held_and_what_its_label_reads(
    live_server, browser_page, us_recall, staff_roles
):
    from rest_framework.test import APIClient

    from tests.claims.conftest import claim_payload, recalled_serial, submit, upload
    from tests.claims.test_fraud import contact, label_photo

    agent = User.objects.create_user("agent8", password="agent-password-8", is_staff=True)
    agent.groups.add(Group.objects.get(name=SUPPORT_AGENT))
    api = APIClient()
    submit(api, claim_payload(serial=recalled_serial(5000), **contact(1)))
    held = submit(
        api,
        claim_payload(serial=recalled_serial(5001), **contact(2)),
        files={"product_photo": upload(label_photo(recalled_serial(42)))},
    ).json()["reference"]

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "agent8")
    page.fill("#id_password", "agent-password-8")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/claims/claim/?q={held}")
    page.get_by_role("link", name=held).click()

    flags = page.locator("#flags").inner_text()
    assert "Neighbouring serials claimed by other contacts" in flags
    assert recalled_serial(5000) in flags
    documents = page.locator("#evidence").inner_text()
    if "Label reading not installed" not in documents:
        assert "The photo's label shows another serial" in flags
        assert f"Label shows another serial: {recalled_serial(42)}" in documents
    page.screenshot(path=str(Path(__file__).resolve().parents[2] / "var" / "admin-fraud.png"), full_page=True)
