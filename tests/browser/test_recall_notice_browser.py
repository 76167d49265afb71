"""An owner's recall notice in a real Chromium: the e-mailed link lands on the prefilled serial check,
the owner claims, and the campaign's funnel counts the notice at each stage, in the selector and on
the supervisors' campaign page (screenshot: ``var/campaign-admin.png``)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from PIL import Image

from core.roles import SUPERVISOR
from outreach.models import Campaign, Notice
from outreach.selectors import campaign_funnel
from outreach.services import campaign_start
from tests.claims.conftest import recalled_serial
from tests.outreach.owners import known_owner

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium (make browser)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var"


def test_an_owner_claims_from_the_e_mailed_notice_and_the_funnel_counts_it(
    live_server, chromium, browser_page, us_recall, staff_roles, mailoutbox, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    serial = recalled_serial(4242)
    owner = known_owner(us_recall, name="Rosa Owner", email="rosa@example.com", serial=serial)
    campaign = campaign_start(recall=us_recall, country="US")  # the first wave goes out on commit
    [mail] = [m for m in mailoutbox if m.to == [owner.email]]
    link = re.search(rf"{re.escape(live_server.url)}/r/\S+/", mail.body).group(0)

    page = browser_page
    page.goto(link)
    assert f"serial={serial}" in page.url
    assert page.get_by_role("heading", name="Your unit is recalled.").is_visible()
    page.get_by_role("link", name="Claim your remedy").click()
    page.wait_for_url("**/claim/?*")
    assert page.input_value("#id_serial") == serial
    page.check("input[name=remedy][value=gift_card]")
    page.fill("#id_name", "Rosa Owner")
    page.fill("#id_email", "rosa@example.com")
    page.fill("#id_address_line1", "1 Main Street")
    page.fill("#id_postal_code", "12345")
    page.fill("#id_city", "Springfield")
    page.select_option("#id_region", "IL")
    photo = tmp_path / "label.png"
    Image.new("RGB", (320, 200), (30, 90, 160)).save(photo)
    page.set_input_files("#id_product_photo", str(photo))
    page.get_by_role("button", name="Submit claim").click()
    page.wait_for_url("**/claim/submitted/")

    notice = Notice.objects.select_related("claim").get(owner=owner)
    assert notice.opened_at and notice.checked_at and notice.claim.serial == serial
    total = campaign_funnel(campaign=campaign)[-1]
    assert (total.notified, total.opened, total.checked, total.claimed) == (1, 1, 1, 1)
    # The US market approves a recalled serial at once and the gift card is issued: remedied too.
    assert (total.remedied, total.disposed) == (1, 0)

    supervisor = User.objects.create_user("sue", password="pw-sue", is_staff=True)
    supervisor.groups.add(Group.objects.get(name=SUPERVISOR))
    context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    admin = context.new_page()
    admin.goto(f"{live_server.url}/admin/")
    admin.fill("#id_username", "sue")
    admin.fill("#id_password", "pw-sue")
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"{live_server.url}/admin/outreach/campaign/")
    assert Campaign.objects.get().status == Campaign.Status.RUNNING
    admin.get_by_role("link", name=campaign.recall.code).click()
    admin.wait_for_url("**/change/")
    total_row = admin.locator(".funnel-table tr.total td.num").all_inner_texts()
    # planned, notified, delivered, opened, checked, claimed, remedied, disposed
    assert total_row == ["1", "1", "1", "1", "1", "1", "1", "0"]
    assert admin.locator("#funnel-chart svg rect").count() == 4 * 6  # four waves, six stages
    assert admin.get_by_role("button", name="Pause").is_visible()
    admin.screenshot(path=str(SCREENSHOTS / "campaign-admin.png"), full_page=True)
    context.close()
