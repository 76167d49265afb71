"""Times customers read are in their market's time zone, named, in the page's or e-mail's language."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone, translation

from claims.models import Claim, ClaimEvent, ClaimStatus, hash_token
from recalls.countries import MARKET_TIME_ZONES, market_time_zone
from tests.factories import ClaimFactory, MarketRuleFactory, facility_with_token

pytestmark = pytest.mark.django_db

TOKEN = "a-token"
WINTER = datetime.datetime(2025, 1, 15, 12, 30, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2025, 7, 15, 12, 30, tzinfo=datetime.UTC)


@pytest.fixture
def claim_in(us_recall):
    MarketRuleFactory(recall=us_recall, country="JP", offers_gift_card=False)

    def make(country: str, *, at: datetime.datetime = WINTER, **kwargs) -> Claim:
        claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), country=country, **kwargs)
        Claim.objects.filter(pk=claim.pk).update(access_token_hash=hash_token(TOKEN))
        event = ClaimEvent.objects.create(
            claim=claim, kind=ClaimEvent.Kind.SUBMITTED, actor_kind=ClaimEvent.Actor.CUSTOMER
        )
        ClaimEvent.objects.filter(pk=event.pk).update(created_at=at)
        return claim

    return make


def status_page(client, claim: Claim, language: str = "en") -> str:
    given = {"reference": claim.reference, "token": TOKEN}
    response = client.post("/status/", given, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def timeline_time(page: str) -> str:
    start = page.index('<ol class="timeline">')
    opening = page.index(">", page.index("<time", start)) + 1
    return page[opening : page.index("</time>", opening)]


@pytest.mark.parametrize(
    ("country", "language", "at", "shown"),
    [
        ("JP", "ja", WINTER, "2025年1月15日21:30 JST"),
        ("JP", "en", WINTER, "Jan. 15, 2025, 9:30 p.m. JST"),
        ("DE", "de", WINTER, "15. Januar 2025 13:30 MEZ"),
        ("DE", "de", SUMMER, "15. Juli 2025 14:30 MESZ"),
        ("DE", "en", WINTER, "Jan. 15, 2025, 1:30 p.m. CET"),
        ("US", "en", WINTER, "Jan. 15, 2025, 7:30 a.m. EST"),
        ("US", "en", SUMMER, "July 15, 2025, 8:30 a.m. EDT"),
    ],
)
def test_the_timeline_shows_the_markets_time_and_zone(client, claim_in, country, language, at, shown):
    page = status_page(client, claim_in(country, at=at), language)

    assert timeline_time(page) == shown
    assert "UTC" not in page


def test_the_timeline_keeps_the_exact_instant_for_machines(client, claim_in):
    page = status_page(client, claim_in("JP"), "ja")
    assert '<time datetime="2025-01-15T21:30:00+09:00">' in page


def test_a_disposal_is_shown_in_the_markets_time(client, claim_in, api):
    claim = claim_in("DE", status=ClaimStatus.AWAITING_DISPOSAL)
    _facility, token = facility_with_token("Wertstoffhof Ost", country="DE")
    body = {
        "claim_reference": claim.reference,
        "serial": claim.serial,
        "condition": "intact",
        "received_at": "2025-01-15T12:30:00Z",
    }
    response = api.post(
        "/api/partner/v1/disposals/", body, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 201, response.content

    page = status_page(client, claim, "de")

    assert "Am 15. Januar 2025 13:30 MEZ bei Wertstoffhof Ost abgegeben." in page


def test_the_page_leaves_the_programmes_time_zone_as_it_was(client, claim_in):
    status_page(client, claim_in("JP"), "ja")
    assert timezone.get_current_timezone_name() == "UTC"


def test_an_email_is_written_in_the_claims_market_time_zone(claim_in, monkeypatch):
    from claims import notifications

    seen = []

    def render(template, context):
        seen.append((template, translation.get_language(), timezone.get_current_timezone_name()))
        return "text"

    monkeypatch.setattr(notifications, "render_to_string", render)
    claim = claim_in("JP", language="ja")

    notifications.claim_email_send(claim_id=claim.pk, template="received")

    assert {(language, zone) for _template, language, zone in seen} == {("ja", "Asia/Tokyo")}
    assert timezone.get_current_timezone_name() == "UTC"


def test_each_market_has_a_zone_of_its_own():
    assert market_time_zone("US") == zoneinfo.ZoneInfo("America/New_York")
    assert market_time_zone("de") == zoneinfo.ZoneInfo("Europe/Berlin")
    assert market_time_zone("JP") == zoneinfo.ZoneInfo("Asia/Tokyo")
    assert market_time_zone("AQ") == datetime.UTC  # a country the programme knows no zone for
    for country, zone in MARKET_TIME_ZONES.items():
        assert zoneinfo.ZoneInfo(zone), country
