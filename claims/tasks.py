"""Thin Celery tasks of claims: they take ids and call a service. Safe to run twice."""

from celery import shared_task

from .outbox import claim_email_owe
from .privacy import documents_orphaned_delete
from .services import disposal_reminders_send


@shared_task
def documents_orphaned_sweep_task() -> int:
    return documents_orphaned_delete()


@shared_task
def claim_email(*, claim_id: int, template: str) -> None:
    """Messages queued by the version before the outbox: what they owe goes to the outbox now."""
    claim_email_owe(claim_id=claim_id, template=template)


@shared_task
def disposal_reminders_task() -> int:
    return disposal_reminders_send()
