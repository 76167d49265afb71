import pytest
from django.utils import translation

from tests.factories import MarketRuleFactory, RecalledBatchFactory, SerialRangeFactory


@pytest.fixture(autouse=True)
def default_language():
    """A request leaves its language active in the thread: every test starts in the default one."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def us_recall(db):
    """A recall sold in the US and Germany, with one range AH2306 0000000000-0000999999 of model A1263."""
    rule = MarketRuleFactory(country="US")
    MarketRuleFactory(
        recall=rule.recall,
        country="DE",
        offers_gift_card=False,
        offers_refund=True,
        refund_amount="39.99",
        refund_currency="EUR",
        disposal_before_remedy=True,
    )
    batch = RecalledBatchFactory(recall=rule.recall, model__model_number="A1263", markets=["US", "DE"])
    SerialRangeFactory(batch=batch)
    return rule.recall


@pytest.fixture
def staff_roles(db):
    """The staff groups. A migration creates them, but a transactional test's flush empties every table."""
    from core.roles import roles_sync

    roles_sync()
