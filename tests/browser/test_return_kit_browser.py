"""A customer far from a certified centre orders a return kit on the status page, without JavaScript,
and reads its progress and how to keep and pack the unit meanwhile."""

from pathlib import Path

import pytest

from claims.models import ClaimStatus, UnitCondition, hash_token
from claims.services import status_link_token
from disposal.models import ReturnKit
from disposal.services import return_kit_mark_shipped
from tests.factories import ClaimFactory, MarketRuleFactory, RecalledBatchFactory, facility_with_token

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium (make browser)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_ordering_a_return_kit_on_the_status_page(live_server, chromium):
    rule = MarketRuleFactory(
        country="JP", offers_gift_card=False, offers_replacement=True, return_by_mail=True
    )
    batch = RecalledBatchFactory(recall=rule.recall, model__model_number="A1263", markets=["JP"])
    facility_with_token("Tokyo Centre", country="JP", latitude=35.6895, longitude=139.69171)
    claim = ClaimFactory(
        recall=rule.recall,
        model=batch.model,
        country="JP",
        remedy="replacement",
        status=ClaimStatus.FULFILLING,
        city="Sapporo",
        unit_condition=UnitCondition.INTACT,
        access_token_hash=hash_token("token"),
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/status/link/{status_link_token(claim)}/")
    page.get_by_role("button", name="Order a return kit").click()
    assert page.get_by_text("Your return kit is ordered: the kit provider posts it").is_visible()
    assert ReturnKit.objects.filter(claim=claim).exists()
    return_kit_mark_shipped(reference=claim.reference, tracking_number="JP-4711")
    page.goto(f"{live_server.url}/status/link/{status_link_token(claim)}/")
    assert page.get_by_text("Tracking number: JP-4711").is_visible()
    page.locator("#return-kit").screenshot(path=str(SCREENSHOTS / "status-return-kit.png"))
    context.close()
    japanese = chromium.new_context(locale="ja-JP", java_script_enabled=False)
    page = japanese.new_page()
    page.goto(f"{live_server.url}/status/link/{status_link_token(claim)}/")
    assert page.get_by_role("heading", name="郵送の返送キット").is_visible()
    page.locator("#return-kit").screenshot(path=str(SCREENSHOTS / "status-return-kit-ja.png"))
    japanese.close()
