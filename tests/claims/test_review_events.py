"""What an agent's decision writes on the claim's timeline: who, what, and whether the customer sees it."""

import pytest

from claims.models import ClaimEvent, ClaimStatus
from claims.services import claim_mark_for_review
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def test_sending_back_to_review_is_an_agents_private_step(us_recall):
    claim = ClaimFactory(recall=us_recall, model=us_recall.models.get(), status=ClaimStatus.APPROVED)

    claim_mark_for_review(claim=claim, agent_id="42", note="Receipt looks edited")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW
    assert claim.remedy_retry_at is None  # no longer swept for a remedy
    event = claim.events.get(kind=ClaimEvent.Kind.STATUS_CHANGED, new_status=ClaimStatus.NEEDS_REVIEW)
    assert (event.old_status, event.actor_kind, event.actor_id, event.public) == (
        ClaimStatus.APPROVED,
        ClaimEvent.Actor.AGENT,
        "42",
        False,
    )
    assert (event.note, event.note_params) == ("Receipt looks edited", None)
