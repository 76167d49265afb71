"""The funnel of a campaign on notices whose every figure is known in advance.

US campaign, waves 1 e-mail, 2 SMS, 3 letter (planned) and 4 call (not yet):
    wave 1: A, B, C e-mailed and opened; A and B checked and claimed (A's claim fulfilled and the unit
            handed in, B's fulfilled); D's e-mail bounced; E e-mailed (a delivery receipt); F has no
            e-mail, so an SMS: opened, checked, claimed (approved); G stopped (claimed elsewhere),
            H pending, I failed after all attempts
    wave 2: C by SMS, opened and checked; D by SMS; E's SMS bounced; J (no phone) by letter
    wave 3: D by letter: opened, checked, claimed, the unit handed in before the claim was decided
    each owner once: 10 planned, 7 notified (A B C D E F J), 7 delivered (D's SMS, E's e-mail),
    5 opened (A B C D F), 5 checked, 4 claimed (A B D F), 2 remedied (A B), 2 disposed (A D)
A DE campaign of the same recall and a campaign of another recall are counted apart.
"""

import datetime

import pytest
from django.utils import timezone

from claims.models import ClaimStatus
from outreach.models import Campaign, Channel, Notice
from outreach.selectors import (
    FunnelRow,
    campaign_funnel,
    funnels_by_market,
    notices_by_channel,
    notices_by_recall_and_channel,
)
from tests.factories import ClaimFactory, MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory
from tests.outreach.owners import campaign_with_waves, known_owner, notice

pytestmark = pytest.mark.django_db

MAY, JUNE, JULY = (datetime.datetime(2026, month, 10, 12, tzinfo=datetime.UTC) for month in (5, 6, 7))
E, S, L, C = Channel.EMAIL, Channel.SMS, Channel.LETTER, Channel.CALL
SENT, BOUNCED = Notice.Status.SENT, Notice.Status.BOUNCED

EXPECTED = [
    FunnelRow(1, 0, E, E, planned=8, notified=5, delivered=4, opened=3, checked=2, claimed=2, remedied=2, disposed=1),
    FunnelRow(1, 0, E, S, planned=1, notified=1, delivered=1, opened=1, checked=1, claimed=1),
    FunnelRow(2, 7, S, S, planned=3, notified=3, delivered=2, opened=1, checked=1),
    FunnelRow(2, 7, S, L, planned=1, notified=1, delivered=1),
    FunnelRow(3, 14, L, L, planned=1, notified=1, delivered=1, opened=1, checked=1, claimed=1, disposed=1),
    FunnelRow(4, 21, C, C),
    FunnelRow(None, None, "", "", planned=10, notified=7, delivered=7, opened=5, checked=5, claimed=4, remedied=2, disposed=2),
]  # fmt: skip


@pytest.fixture
def campaign(us_recall):
    recall, model = us_recall, us_recall.models.get()
    us = campaign_with_waves(recall, "US", [E, S, L, C])
    us.waves.filter(number=4).update(planned_at=None)

    def claim(status, *, disposed=False):
        return ClaimFactory(
            recall=recall,
            model=model,
            status=status,
            disposal_confirmed_at=timezone.now() if disposed else None,
        )

    a, b, c, d, e, f, g, h, i = (known_owner(recall) for _ in range(9))
    j = known_owner(recall, phone="")
    notice(
        us, 1, a, sent_at=MAY, opened=True, checked=True, claim=claim(ClaimStatus.FULFILLED, disposed=True)
    )
    notice(us, 1, b, sent_at=MAY, opened=True, checked=True, claim=claim(ClaimStatus.FULFILLED))
    notice(us, 1, c, sent_at=MAY, opened=True)
    notice(us, 1, d, sent_at=MAY, status=BOUNCED)
    notice(us, 1, e, sent_at=MAY, delivered_at=MAY)
    notice(us, 1, f, sent_at=MAY, channel=S, opened=True, checked=True, claim=claim(ClaimStatus.APPROVED))
    notice(us, 1, g, status=Notice.Status.STOPPED)
    notice(us, 1, h, status=Notice.Status.PENDING)
    notice(us, 1, i, status=Notice.Status.FAILED)
    notice(us, 2, c, sent_at=JUNE, opened=True, checked=True)
    notice(us, 2, d, sent_at=JUNE)
    notice(us, 2, e, sent_at=JUNE, status=BOUNCED)
    notice(us, 2, j, sent_at=JUNE, channel=L)
    notice(
        us,
        3,
        d,
        sent_at=JULY,
        opened=True,
        checked=True,
        claim=claim(ClaimStatus.NEEDS_REVIEW, disposed=True),
    )

    de = campaign_with_waves(recall, "DE", [E])
    notice(de, 1, known_owner(recall, country="DE"), sent_at=JUNE, opened=True)
    other = MarketRuleFactory(country="US").recall
    SerialRangeFactory(batch=RecalledBatchFactory(recall=other, model=model))
    elsewhere = campaign_with_waves(other, "US", [S])
    notice(elsewhere, 1, known_owner(other), sent_at=JUNE)
    return us


def test_every_figure_per_wave_and_channel_and_each_owner_once_in_the_total(campaign):
    assert campaign_funnel(campaign=campaign) == EXPECTED


def test_the_wave_channel_comes_first_then_the_fallbacks(campaign):
    rows = campaign_funnel(campaign=campaign)
    assert [(r.wave, r.channel_label, r.is_fallback) for r in rows[:4]] == [
        (1, "E-mail", False),
        (1, "SMS", True),
        (2, "SMS", False),
        (2, "Letter", True),
    ]
    assert rows[-1].is_total and not rows[0].is_total


def test_a_campaign_not_started_has_no_waves_and_a_total_of_zeros(us_recall):
    draft = Campaign.objects.create(recall=us_recall, country="US")
    assert campaign_funnel(campaign=draft) == [FunnelRow(None, None, "", "")]


def test_one_query_whatever_the_waves_and_notices(campaign, django_assert_num_queries, us_recall):
    with django_assert_num_queries(1):
        campaign_funnel(campaign=campaign)
    for n in range(5, 9):
        wave = campaign.waves.create(number=n, day=7 * n, channel=Channel.EMAIL, planned_at=timezone.now())
        for _ in range(3):
            notice(campaign, wave.number, known_owner(us_recall), opened=True)
    with django_assert_num_queries(1):
        rows = campaign_funnel(campaign=campaign)
    assert len(rows) == len(EXPECTED) + 4 and rows[-1].notified == 7 + 12


def test_each_markets_total_for_the_report(campaign, us_recall):
    found = {(m.recall_id, m.country): m.funnel for m in funnels_by_market()}
    assert found[us_recall.pk, "US"] == EXPECTED[-1]
    assert found[us_recall.pk, "DE"] == FunnelRow(
        None, None, "", "", planned=1, notified=1, delivered=1, opened=1
    )
    assert len(found) == 3
    assert {(m.recall_id, m.country) for m in funnels_by_market(recall_code=us_recall.code)} == {
        (us_recall.pk, "US"),
        (us_recall.pk, "DE"),
    }


def test_owners_notified_per_channel_in_a_period(campaign, us_recall):
    # Each owner once per channel: D was e-mailed (bounced), sent an SMS and a letter.
    assert notices_by_channel(recall=us_recall, country="us") == {
        "email": 5,
        "sms": 4,
        "letter": 2,
        "call": 0,
    }
    june = notices_by_channel(
        recall=us_recall, since=JUNE - datetime.timedelta(days=9), until=JULY - datetime.timedelta(days=9)
    )
    assert june == {"email": 1, "sms": 3, "letter": 1, "call": 0}  # the DE e-mail counts: no country given
    assert notices_by_channel(country="DE") == {"email": 1, "sms": 0, "letter": 0, "call": 0}
    assert notices_by_channel(until=MAY) == {
        "email": 0,
        "sms": 0,
        "letter": 0,
        "call": 0,
    }  # until is exclusive
    assert notices_by_channel(since=JULY)["letter"] == 1
    assert notices_by_channel()["sms"] == 5  # every recall: the other recall's SMS too


def test_an_owner_notified_twice_by_one_channel_counts_once_for_it(campaign, us_recall):
    """Owners notified, not notices: a later wave by e-mail again does not count its owner twice, in
    the totals nor in the monthly report's period."""
    again = known_owner(us_recall)
    campaign.waves.create(number=5, day=28, channel=E, planned_at=timezone.now())
    notice(campaign, 1, again, sent_at=JUNE)
    notice(campaign, 5, again, sent_at=JUNE + datetime.timedelta(days=1))
    assert notices_by_channel(recall=us_recall, country="US")["email"] == 5 + 1
    by_recall = notices_by_recall_and_channel(
        recall_ids=[us_recall.pk], since=JUNE - datetime.timedelta(days=9), until=JULY
    )
    # In June: the owner e-mailed twice and the DE owner; to date A to E as well.
    assert by_recall[us_recall.pk, E] == (2, 7)
