"""E-mails to staff about incidents, as messages of the outbox (topic ``STAFF_EMAIL``).

A staff e-mail is written whole when it is owed (recipients, subject, body), so its delivery sends
exactly what was decided then; any app may owe one with ``staff_email_owe``."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import PermanentDeliveryError, outbox_mail_connection, outbox_put
from core.roles import SUPERVISOR

STAFF_EMAIL = OutboxMessage.Topic.STAFF_EMAIL


def supervisor_emails() -> list[str]:
    """The active supervisors with an e-mail address: those the programme warns."""
    users = get_user_model().objects.filter(groups__name=SUPERVISOR, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def staff_email_owe(*, to: list[str], subject: str, body: str) -> OutboxMessage:
    """Owe staff an e-mail, in the caller's transaction."""
    return outbox_put(topic=STAFF_EMAIL, payload={"to": to, "subject": subject, "body": body})


def staff_email_deliver(message: OutboxMessage) -> None:
    to = message.payload.get("to") or []
    if not to:
        raise PermanentDeliveryError("No recipient: no supervisor has an e-mail address.")
    send_mail(
        message.payload["subject"],
        message.payload["body"],
        settings.DEFAULT_FROM_EMAIL,
        to,
        connection=outbox_mail_connection(),
    )


def deadline_halfway_email_owe(*, incident, now: datetime.datetime) -> OutboxMessage:
    """Half of a serious incident's reporting time is gone: the supervisors hear of it, with the link."""
    due = incident.report_due_at
    context = {
        "incident": incident,
        "due": timezone.localtime(due, datetime.UTC),
        "left_hours": max(0, round((due - now).total_seconds() / 3600, 1)),
        "url": f"{settings.SITE_URL.rstrip('/')}{reverse('admin:incidents_incident_change', args=[incident.pk])}",
    }
    subject = render_to_string("incidents/email/deadline_halfway_subject.txt", context).strip()
    body = render_to_string("incidents/email/deadline_halfway.txt", context)
    return staff_email_owe(to=supervisor_emails(), subject=subject, body=body)
