"""A customer who lost the access token is never locked out: status links, in every e-mail and on
request, open the claim's status page without the token for 7 days."""

import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.core.cache import cache

from claims.models import Claim, ClaimStatus
from claims.notifications import claim_email_send
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

LINKS = "/api/v1/status-links/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def link_in(body: str) -> str:
    return re.search(r"http://[^\s]+/status/link/([^/\s]+)/", body).group(1)


def test_every_e_mail_carries_a_status_link_that_opens_the_claim_without_the_token(
    client, us_recall, mailoutbox
):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    for template in ("received", "rejected", "cancelled", "fulfilled"):
        claim_email_send(claim_id=claim.pk, template=template)
    assert len(mailoutbox) == 4
    links = [link_in(mail.body) for mail in mailoutbox]
    assert all(claim.reference not in link or ":" in link for link in links)
    page = client.get(f"/status/link/{links[0]}/")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    assert claim.reference in html and 'id="claim-status"' in html


def days_later(days: float):
    return mock.patch("django.core.signing.time.time", return_value=time.time() + days * 24 * 3600)


def test_a_status_link_expires_after_7_days_and_cannot_be_forged(client, us_recall, mailoutbox):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    claim_email_send(claim_id=claim.pk, template="received")
    link = link_in(mailoutbox[0].body)
    with days_later(6.9):
        assert client.get(f"/status/link/{link}/").status_code == 200
    with days_later(7.1):
        expired = client.get(f"/status/link/{link}/")
    assert expired.status_code == 404 and "not valid or has expired" in expired.content.decode()
    forged = signing.dumps(claim.reference, salt="another-salt")
    assert client.get(f"/status/link/{forged}/").status_code == 404
    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
    assert client.get(f"/status/link/{tampered}/").status_code == 404


def test_a_claim_opened_from_a_link_can_be_cancelled_after_confirming(client, us_recall, mailoutbox):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get())
    claim_email_send(claim_id=claim.pk, template="received")
    link = link_in(mailoutbox[0].body)
    asked = client.post("/status/", {"link": link, "cancel": "ask"}).content.decode()
    assert "Do you really want to cancel your claim?" in asked and f'value="{link}"' in asked
    done = client.post("/status/", {"link": link, "cancel": "confirmed"}).content.decode()
    assert "Your claim is cancelled." in done
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED


def test_lost_everything_ask_by_e_mail_and_get_a_link_to_each_claim_in_their_language(
    api, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    model = us_recall.models.get()
    first = ClaimFactory(recall=us_recall, model=model, email="ada@example.com", language="de")
    second = ClaimFactory(recall=us_recall, model=model, email="ada@example.com", language="de")
    ClaimFactory(recall=us_recall, model=model, email="a.da@example.com")  # a look-alike: not listed

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(LINKS, {"email": " Ada@Example.com "}, format="json")
    assert response.status_code == 202
    [mail] = mailoutbox
    assert mail.to == ["ada@example.com"]
    assert first.reference in mail.body and second.reference in mail.body
    assert len(re.findall(r"/status/link/", mail.body)) == 2
    assert "Hallo" in mail.body  # the claims' language

    with django_capture_on_commit_callbacks(execute=True):
        unknown = api.post(LINKS, {"email": "nobody@example.com"}, format="json")
    assert (unknown.status_code, unknown.json()) == (202, response.json())  # nothing disclosed
    assert len(mailoutbox) == 1
    bad = api.post(LINKS, {"email": "not an address"}, format="json")
    assert (bad.status_code, bad.json()["code"]) == (400, "validation_error")


def test_one_address_gets_at_most_three_link_e_mails_an_hour_and_is_not_told(
    api, us_recall, mailoutbox, django_capture_on_commit_callbacks, settings
):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "status_links": "3/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ClaimFactory(recall=us_recall, model=us_recall.models.get(), email="ada@example.com")
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            assert api.post(LINKS, {"email": "ada@example.com"}, format="json").status_code == 202
    assert len(mailoutbox) == 3


def test_the_status_page_offers_the_links_for_a_lost_token(
    client, us_recall, mailoutbox, django_capture_on_commit_callbacks
):
    ClaimFactory(recall=us_recall, model=us_recall.models.get(), email="ada@example.com")
    page = client.get("/status/").content.decode()
    assert "Lost your access token?" in page and 'action="/status/links/#lost"' in page
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/status/links/", {"email": "ada@example.com"})
    assert sent.status_code == 200
    assert "If we have claims for this address" in sent.content.decode()
    assert len(mailoutbox) == 1
    assert Claim.objects.count() == 1
