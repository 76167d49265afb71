"""A recall whose monthly progress report for August 2026 is known in advance, edges of months in UTC.

Recall ``R-M`` (announced 2026-07-15; US and DE; model A1263; one batch of 1,000 units):
    gift cards issued 07-31 23:59:59, 08-01 00:00, 08-31 23:59:59, 09-01 00:00 -> August 2, to date 3
    replacements shipped 07-20 and 08-10, one not shipped yet                   -> 1, 2
    refunds paid 08-05, one not paid yet                                        -> 1, 1
    -> units corrected 4 in August, 6 to date (the consumers' level)
    claims: the 9 above made 07-20 on the web; more made 08-01 00:00 (api), 08-31 23:59:59 (api),
        08-15 (web), 08-02 (channel not recorded), 09-01 00:00 (api)
        -> web 1 / 10, api 2 / 2, not recorded 1 / 1 (and one of R-O)
    disposals confirmed 07-25, 08-03, 09-01 00:00                               -> 1, 2
    stock: manufacturer July held 500 corrected 100, August held 300 corrected 200, September 999;
        distributors August held 50 corrected 5; retailers none entered
    notices: e-mail to owner 1 on 08-02 and owner 2 on 07-30, SMS to owner 3 on 08-20, SMS to
        owner 1 on 09-01 00:00, a pending one                                   -> e-mail 1 / 2, SMS 1 / 1
    status-link requests: 2 on the web in August, 1 through the API in July, 1 in September
    incidents: occurred 07-10 (before; reported 08-05, injured, web), 07-14 (before; reported 07-16,
        api), 07-15 (after: the day of the announcement; reported 08-31 23:59:59, injured, web),
        08-01 (after; reported 08-01 00:00, api), 08-20 (reported 09-01 00:00)
        -> before 1 / 2 (injuries 1 / 1), after 2 / 2 (injuries 1 / 1)
    serial checks: R-M US 07-31 5, 08-01 7, DE 08-31 3, US 09-01 100 -> 10 / 15;
        not recalled A1263 US 08-10 4 -> 4 / 4 (FR, not a market, and another model not counted)
Recall ``R-O`` (announced 2026-08-20, JP): nothing but one claim, no notices.
"""

from __future__ import annotations

import datetime

from django.db.models import F

from disposal.models import DisposalConfirmation
from fulfilment.models import GiftCard, Refund, Replacement
from incidents.models import Incident
from reports.models import SerialCheckTally, StatusLinkRequest, StockCount
from tests.factories import (
    ClaimFactory,
    MarketRuleFactory,
    ProductModelFactory,
    RecalledBatchFactory,
    RecallFactory,
    SerialRangeFactory,
    facility_with_token,
)
from tests.outreach.owners import campaign_with_waves, known_owner, notice

AUGUST = datetime.date(2026, 8, 1)
TITLE = "Powerbank-Rückruf: モバイルバッテリー A1263"


def utc(month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, second, tzinfo=datetime.UTC)


END_OF_JULY = utc(7, 31, 23, 59, 59)
START_OF_AUGUST = utc(8, 1, 0)
END_OF_AUGUST = utc(8, 31, 23, 59, 59)
START_OF_SEPTEMBER = utc(9, 1, 0)

_incidents = 0


def incident(recall, model, *, occurred_on, reported_at, injury=False, channel="web") -> Incident:
    global _incidents
    _incidents += 1
    made = Incident.objects.create(
        reference=f"IN-T{_incidents:07d}",
        recall=recall,
        model=model,
        country="US",
        kind=Incident.Kind.OVERHEATING,
        injury=injury,
        occurred_on=occurred_on,
        description="It got hot.",
        name="Ann Example",
        email="ann@example.com",
        channel=channel,
    )
    Incident.objects.filter(pk=made.pk).update(created_at=reported_at)
    return made


class Programme:
    def __init__(self) -> None:
        self.facility, _ = facility_with_token()
        self.model = ProductModelFactory(model_number="A1263")
        self.recall = RecallFactory(code="R-M", title=TITLE, announced_on=datetime.date(2026, 7, 15))
        MarketRuleFactory(recall=self.recall, country="US")
        MarketRuleFactory(
            recall=self.recall, country="DE", offers_refund=True, refund_amount="39.99", refund_currency="EUR"
        )
        self.recall.models.add(self.model)
        batch = RecalledBatchFactory(recall=self.recall, model=self.model, markets=["US", "DE"])
        SerialRangeFactory(batch=batch, prefix="AH2306", start=0, end=999)
        self.other = RecallFactory(code="R-O", announced_on=datetime.date(2026, 8, 20))
        MarketRuleFactory(recall=self.other, country="JP")

    def claim(self, *, made_at=None, channel="web", recall=None, **kw):
        made = ClaimFactory(recall=recall or self.recall, model=self.model, channel=channel, **kw)
        type(made).objects.filter(pk=made.pk).update(created_at=made_at or utc(7, 20))
        return made

    def gift_card(self, issued_at):
        claim = self.claim(status="fulfilled")
        card = GiftCard.objects.create(claim=claim, code=f"GC{claim.pk:014d}", amount="40.00", currency="USD")
        GiftCard.objects.filter(pk=card.pk).update(issued_at=issued_at)
        return claim

    def replacement(self, shipped_at):
        claim = self.claim(status="fulfilled" if shipped_at else "fulfilling", remedy="replacement")
        Replacement.objects.create(
            claim=claim,
            model=self.model,
            ship_to_name="Ann Example",
            ship_to_address="1 Main Street",
            ship_to_country="US",
            shipping_status="shipped" if shipped_at else "pending",
            shipped_at=shipped_at,
        )
        return claim

    def refund(self, paid_at):
        claim = self.claim(status="fulfilled" if paid_at else "fulfilling", remedy="refund", country="DE")
        Refund.objects.create(
            claim=claim,
            amount="39.99",
            currency="EUR",
            payout_status="paid" if paid_at else "pending",
            paid_at=paid_at,
        )
        return claim

    def disposal(self, claim, at):
        made = DisposalConfirmation.objects.create(
            claim=claim,
            facility=self.facility,
            serial_observed=claim.serial,
            condition="intact",
            received_at=at,
        )
        DisposalConfirmation.objects.filter(pk=made.pk).update(created_at=at)

    def build(self) -> Programme:
        remedied = [
            self.gift_card(t) for t in (END_OF_JULY, START_OF_AUGUST, END_OF_AUGUST, START_OF_SEPTEMBER)
        ]
        remedied += [self.replacement(t) for t in (utc(7, 20), utc(8, 10), None)]
        remedied += [self.refund(t) for t in (utc(8, 5), None)]
        self.claim(made_at=START_OF_AUGUST, channel="api")
        self.claim(made_at=END_OF_AUGUST, channel="api")
        self.claim(made_at=utc(8, 15), channel="web")
        self.claim(made_at=utc(8, 2), channel="")
        self.claim(made_at=START_OF_SEPTEMBER, channel="api")
        self.claim(made_at=utc(8, 10), channel="api", recall=self.other, country="JP")

        for claim, at in zip(remedied, (utc(7, 25), utc(8, 3), START_OF_SEPTEMBER), strict=False):
            self.disposal(claim, at)

        for month, level, held, corrected in (
            (datetime.date(2026, 7, 1), "manufacturer", 500, 100),
            (AUGUST, "manufacturer", 300, 200),
            (datetime.date(2026, 9, 1), "manufacturer", 0, 999),
            (AUGUST, "distributor", 50, 5),
        ):
            StockCount.objects.create(
                recall=self.recall, month=month, level=level, units_held=held, units_corrected=corrected
            )

        us = campaign_with_waves(self.recall, "US", ["email", "sms"])
        owners = [known_owner(self.recall) for _ in range(4)]
        notice(us, 1, owners[0], sent_at=utc(8, 2))
        notice(us, 1, owners[1], sent_at=utc(7, 30))
        notice(us, 2, owners[2], sent_at=utc(8, 20))
        notice(us, 2, owners[0], sent_at=START_OF_SEPTEMBER)
        notice(us, 1, owners[3], status="pending")

        for channel, at in (
            ("web", utc(8, 3)),
            ("web", END_OF_AUGUST),
            ("api", utc(7, 20)),
            ("web", START_OF_SEPTEMBER),
        ):
            made = StatusLinkRequest.objects.create(recall=self.recall, channel=channel)
            StatusLinkRequest.objects.filter(pk=made.pk).update(requested_at=at)

        announced = datetime.date(2026, 7, 15)
        incident(
            self.recall,
            self.model,
            occurred_on=datetime.date(2026, 7, 10),
            reported_at=utc(8, 5),
            injury=True,
        )
        incident(
            self.recall,
            self.model,
            occurred_on=datetime.date(2026, 7, 14),
            reported_at=utc(7, 16),
            channel="api",
        )
        incident(self.recall, self.model, occurred_on=announced, reported_at=END_OF_AUGUST, injury=True)
        incident(self.recall, self.model, occurred_on=AUGUST, reported_at=START_OF_AUGUST, channel="api")
        incident(
            self.recall, self.model, occurred_on=datetime.date(2026, 8, 20), reported_at=START_OF_SEPTEMBER
        )

        other_model = ProductModelFactory(model_number="A9999")
        for day, model, country, code, checks in (
            (datetime.date(2026, 7, 31), self.model, "US", "R-M", 5),
            (AUGUST, self.model, "US", "R-M", 7),
            (datetime.date(2026, 8, 31), self.model, "DE", "R-M", 3),
            (datetime.date(2026, 9, 1), self.model, "US", "R-M", 100),
            (datetime.date(2026, 8, 10), self.model, "US", "", 4),
            (datetime.date(2026, 8, 10), self.model, "FR", "", 50),
            (datetime.date(2026, 8, 10), other_model, "US", "", 9),
        ):
            SerialCheckTally.objects.create(
                day=day, model=model, country=country, recall_code=code, checks=checks
            )
        return self

    def build_more(self) -> None:
        """As much again of what August has (new claims, remedies, disposals, incidents, stock, notices,
        checks), in August."""
        for at in (utc(8, 9), utc(8, 19), utc(8, 29)):
            self.gift_card(at)
        self.replacement(utc(8, 11))
        claims = [self.claim(made_at=utc(8, 12), channel=channel) for channel in ("api", "api", "web", "")]
        for claim in claims[:1]:
            self.disposal(claim, utc(8, 13))
        count = StockCount.objects.filter(recall=self.recall, month=AUGUST, level="manufacturer").first()
        if count is not None:
            StockCount.objects.filter(pk=count.pk).update(units_corrected=count.units_corrected + 1)
        incident(self.recall, self.model, occurred_on=AUGUST, reported_at=utc(8, 14), injury=True)
        us = self.recall.campaigns.get(country="US")
        notice(us, 1, known_owner(self.recall), sent_at=utc(8, 15))
        StatusLinkRequest.objects.create(recall=self.recall, channel="web")
        SerialCheckTally.objects.filter(recall_code="R-M", day=AUGUST).update(checks=F("checks") + 1)
