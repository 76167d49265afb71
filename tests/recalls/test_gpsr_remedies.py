"""GPSR Art. 37: in the EU and the EEA a recall offers at least two remedies. Refused by the market
rule's own validation, so the admin, the demo and every service that writes market rules refuse it."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from core.errors import ApplicationError
from recalls.admin import MarketRuleInline
from recalls.countries import EU_EEA_COUNTRIES
from recalls.models import MarketRule, Recall
from recalls.services import market_rule_save
from tests.factories import RecallFactory

pytestmark = pytest.mark.django_db

ONE_REMEDY = {"offers_replacement": True}
TWO_REMEDIES = {
    "offers_replacement": True,
    "offers_refund": True,
    "refund_amount": "39.99",
    "refund_currency": "EUR",
}
MESSAGE = (
    "In Germany (DE) (EU/EEA) a recall must offer at least two remedies among replacement, gift card and "
    "refund (GPSR Art. 37)."
)


def test_the_eu_and_eea_are_their_30_countries():
    assert len(EU_EEA_COUNTRIES) == 30
    assert {"DE", "FR", "IE", "IS", "LI", "NO"} <= EU_EEA_COUNTRIES
    assert not {"GB", "CH", "US", "JP"} & EU_EEA_COUNTRIES


def test_a_german_market_with_one_remedy_is_refused_by_the_model():
    rule = MarketRule(recall=RecallFactory(), country="DE", **ONE_REMEDY)
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.messages == [MESSAGE]


@pytest.mark.parametrize(
    ("country", "values"), [("DE", TWO_REMEDIES), ("US", ONE_REMEDY), ("JP", ONE_REMEDY)]
)
def test_two_remedies_in_the_eu_or_one_elsewhere_pass(country, values):
    MarketRule(recall=RecallFactory(), country=country, **values).full_clean()


def test_the_service_refuses_it_and_saves_nothing():
    recall = RecallFactory()
    with pytest.raises(ApplicationError) as refused:
        market_rule_save(recall=recall, country="no", **ONE_REMEDY)  # Norway, in the EEA
    assert refused.value.code == "validation_error"
    assert "at least two remedies" in refused.value.detail
    assert not MarketRule.objects.exists()
    rule = market_rule_save(recall=recall, country="DE", **TWO_REMEDIES)
    assert rule.remedies == ["replacement", "refund"]
    # taking one remedy away again is refused too
    with pytest.raises(ApplicationError):
        market_rule_save(recall=recall, country="DE", offers_refund=False)
    rule.refresh_from_db()
    assert rule.offers_refund is True


def inline_formset(recall: Recall, rule: dict):
    from django.contrib.auth.models import User

    request = RequestFactory().post("/")
    request.user = User.objects.get_or_create(username="root", is_superuser=True, is_staff=True)[0]
    inline = MarketRuleInline(Recall, admin.site)
    formset_class = inline.get_formset(request, recall)
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        **{f"{prefix}-0-{name}": value for name, value in rule.items()},
    }
    return formset_class(data, instance=recall, prefix=prefix)


def test_the_admin_shows_the_refusal_on_the_market_rule():
    recall = RecallFactory()
    refused = inline_formset(recall, {"country": "DE", "offers_replacement": "on"})
    assert not refused.is_valid()
    assert refused.forms[0].non_field_errors() == [MESSAGE]
    accepted = inline_formset(
        recall,
        {
            "country": "DE",
            "offers_replacement": "on",
            "offers_refund": "on",
            "refund_amount": "39.99",
            "refund_currency": "EUR",
        },
    )
    assert accepted.is_valid(), accepted.errors


def test_the_demo_loads_its_german_markets_with_two_remedies():
    from recalls.demo import load

    load()
    for rule in MarketRule.objects.filter(country="DE"):
        assert len(rule.remedies) >= 2
    assert MarketRule.objects.get(recall__code="ANKER-2025-10-JP", country="JP").return_by_mail is True
