"""Two agents work one queue of twenty mixed claims in a real Chromium, with "Take next claim"."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from claims.models import Claim, ClaimEvent, ClaimFlag, ClaimStatus, ReplyTemplate
from claims.services import status_link_token
from core.roles import SUPPORT_AGENT
from tests.factories import ClaimFactory, attach_receipt

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium (make browser)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var"
CANNED = {
    "en": "We could not read the proof of purchase you sent.",
    "de": "Wir konnten den gesendeten Kaufbeleg nicht lesen.",
    "ja": "お送りいただいた購入証明書を読み取ることができませんでした。",
}
INTERNAL = "internal: looks like the Springfield farm"


def log_in(chromium, live_server, username: str):
    context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/claims/claim/?status__exact=needs_review")
    return page


def shown_claim(page) -> str | None:
    """The reference of the claim the page shows, None on the queue's list."""
    if "/change/" not in page.url:
        return None
    return page.locator("#content h2").first.inner_text().strip()


def test_two_agents_work_a_queue_of_twenty_claims(
    live_server, chromium, us_recall, staff_roles, media, mailoutbox
):
    for name in ("ann", "bob"):
        user = User.objects.create_user(name, password=f"pw-{name}", is_staff=True)
        user.groups.add(Group.objects.get(name=SUPPORT_AGENT))
    canned = ReplyTemplate.objects.create(
        kind=ReplyTemplate.Kind.REJECTION,
        title="Receipt unreadable",
        **{f"text_{code}": text for code, text in CANNED.items()},
    )
    model, now = us_recall.models.get(), timezone.now()
    languages = ["en", "de", "ja"]
    claims = []
    for n in range(20):
        claim = ClaimFactory(
            recall=us_recall,
            model=model,
            serial="" if n % 2 else f"AH2306{n:010d}",
            serial_recalled=not n % 2,
            country="DE" if n % 4 == 1 else "US",
            remedy="refund" if n % 4 == 1 else "gift_card",
            language=languages[n % 3],
            review_since=now - datetime.timedelta(hours=40 - n),
        )
        attach_receipt(claim, width=120 + n, height=80)
        if n % 5 == 0:
            ClaimFlag.objects.create(claim=claim, reason=ClaimFlag.Reason.DUPLICATE_RECEIPT)
        claims.append(claim)
    to_reject = {c.reference for c in claims[::3]}

    ann, bob = log_in(chromium, live_server, "ann"), log_in(chromium, live_server, "bob")
    for page in (ann, bob):
        with page.expect_navigation():
            page.get_by_role("button", name="Take next claim").click()
    seen: dict[str, list[str]] = {"ann": [], "bob": []}
    pages = {"ann": ann, "bob": bob}
    turn = 0
    while any(shown_claim(page) for page in pages.values()):
        current = {name: shown_claim(page) for name, page in pages.items()}
        held = [ref for ref in current.values() if ref]
        assert len(held) == len(set(held)), f"both agents hold one claim: {current}"
        name = (
            ["ann", "bob"][turn % 2]
            if current[["ann", "bob"][turn % 2]]
            else next(n for n in current if current[n])
        )
        page, reference = pages[name], current[name]
        seen[name].append(reference)
        if turn == 0:
            page.screenshot(path=str(SCREENSHOTS / "admin-queue-claim.png"), full_page=True)
        assert page.evaluate("document.activeElement.id") == "id_template"  # focus where a decision starts
        page.fill("#id_note", f"{INTERNAL} ({reference})")
        with page.expect_navigation():
            if reference in to_reject:
                page.select_option("#id_template", label="Receipt unreadable")
                page.get_by_role("button", name="Reject").click()
            elif name == "bob":  # without the mouse: from the note, the next stop is "Approve"
                page.keyboard.press("Tab")
                assert page.evaluate("document.activeElement.textContent") == "Approve"
                page.keyboard.press("Enter")
            else:
                page.get_by_role("button", name="Approve").click()
        assert f"{reference}: now" in page.locator(".messagelist").inner_text()
        following = shown_claim(page)
        assert following != reference
        if following is None:
            assert "No claim in this queue is waiting for an agent." in page.content()
            assert "status__exact=needs_review" in page.url  # the queue kept its filter
        turn += 1
    ann.screenshot(path=str(SCREENSHOTS / "admin-queue-done.png"), full_page=True)

    # no claim decided twice, none skipped, both agents worked
    decided = seen["ann"] + seen["bob"]
    assert sorted(decided) == sorted(c.reference for c in claims)
    assert seen["ann"] and seen["bob"]
    for claim in Claim.objects.all():
        decisions = claim.events.filter(actor_kind="agent", old_status=ClaimStatus.NEEDS_REVIEW)
        assert decisions.count() == 1, claim.reference
        assert claim.held_by is None
        expected = ClaimStatus.REJECTED if claim.reference in to_reject else None
        if expected:
            assert claim.status == expected
        else:
            assert claim.status not in (ClaimStatus.NEEDS_REVIEW, ClaimStatus.REJECTED)

    # canned reasons reached each customer in the claim's language; internal notes reached nobody
    assert all(INTERNAL not in m.body + m.subject for m in mailoutbox)
    for claim in Claim.objects.filter(reference__in=to_reject):
        [rejection] = [m for m in mailoutbox if claim.email in m.to and "not accepted" in m.subject]
        assert CANNED[claim.language] in rejection.body
        for other in set(CANNED) - {claim.language}:
            assert CANNED[other] not in rejection.body
        assert claim.events.get(new_status=ClaimStatus.REJECTED).reply_template == canned
    sample = Claim.objects.get(reference=sorted(to_reject)[0])
    status_page = chromium.new_page(locale="en-US")
    status_page.goto(f"{live_server.url}/status/link/{status_link_token(sample)}/")
    timeline = status_page.content()
    assert CANNED[sample.language] in timeline and INTERNAL not in timeline
    status_page.close()
    assert ClaimEvent.objects.filter(kind="note", public=False).count() == 20
