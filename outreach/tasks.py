"""Thin tasks: the sending of recall notices, and the beat's backstop."""

from celery import shared_task

from .services import notices_send, notices_sweep


@shared_task
def notices_send_task() -> int:
    return notices_send()


@shared_task
def notices_sweep_task() -> int:
    return notices_sweep()
