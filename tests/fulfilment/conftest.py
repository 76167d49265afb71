"""The claims tests' fixtures serve here too: a remedy is issued for a claim taken as customers send it."""

import pytest

from claims.services import claim_approve
from tests.claims.conftest import jpeg, media, receipt_pdf  # noqa: F401 - fixtures
from tests.factories import ClaimFactory


@pytest.fixture
def issued(us_recall, django_capture_on_commit_callbacks):
    """A claim of the remedy asked for, approved and issued as far as it goes without the outside."""
    us_recall.market_rules.filter(country="DE").update(disposal_before_remedy=False)
    model = us_recall.models.get()

    def make(remedy: str, country: str = "US"):
        claim = ClaimFactory(recall=us_recall, model=model, country=country, remedy=remedy)
        with django_capture_on_commit_callbacks(execute=True):
            claim_approve(claim=claim, agent_id="agent-1")
        claim.refresh_from_db()
        return claim

    return make
