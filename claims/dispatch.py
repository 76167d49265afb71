"""The tasks claims sets off once a transaction commits (see ``core.dispatch``)."""

from __future__ import annotations

from core.dispatch import queue_after_commit

# By name: the remedy's task is the fulfilment app's, which claims does not import.
REMEDY_ISSUE = "fulfilment.tasks.remedy_issue_task"


def remedy_issue_after_commit(*, claim_id: int) -> None:
    queue_after_commit(REMEDY_ISSUE, claim_id=claim_id)
