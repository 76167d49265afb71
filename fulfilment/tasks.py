"""Thin Celery tasks of the remedies: they take ids and call a service. Safe to run twice (see
``fulfilment.services``). Retries live in the database: a remedy that failed stays due, and the sweep
queues it again at its retry time."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import remedies_sweep_due, remedy_failure_record, remedy_issue


@shared_task(bind=True, max_retries=3)
def remedy_issue_task(self, *, claim_id: int) -> None:
    try:
        remedy_issue(claim_id=claim_id)
    except (OperationalError, InterfaceError) as exc:
        # A dropped connection or a deadlock victim: worth a quick second try.
        remedy_failure_record(claim_id=claim_id, exc=exc)
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc
    except Exception as exc:
        remedy_failure_record(claim_id=claim_id, exc=exc)


@shared_task
def remedies_sweep() -> int:
    """Re-queue claims whose remedy is due but was not issued (lost message, killed worker, failure)."""
    return len(remedies_sweep_due())
