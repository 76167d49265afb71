"""Thin tasks of incidents: the beat's warning of deadlines half gone."""

from celery import shared_task

from .services import deadlines_halfway_warn


@shared_task
def incident_deadlines_warn_task() -> int:
    return deadlines_halfway_warn()
