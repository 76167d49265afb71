"""E-mails to customers, in the language they used to claim and their market's time zone."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from core.outbox import outbox_mail_connection
from recalls.countries import emergency_number

from . import extensions
from .forms import STATUS_LABELS
from .models import Claim, ClaimStatus
from .selectors import claim_fulfilment
from .timezones import claim_time_zone

# E-mails sent while the unit may still be at home: they say what to do now, and where to take it.
UNIT_AT_HOME_EMAILS = {
    "received",
    "approved",
    "awaiting_disposal",
    "rejected",
    "cancelled",
    "disposal_reminder",
}
# E-mails that show the remedy issued.
FULFILMENT_EMAILS = {"fulfilled", "remedy_arranged"}

# Statuses the customer hears about, with the template that tells them.
STATUS_EMAILS: dict[str, str] = {
    ClaimStatus.REJECTED: "rejected",
    ClaimStatus.CANCELLED: "cancelled",
    ClaimStatus.FULFILLED: "fulfilled",
}


def status_url(claim: Claim) -> str:
    """The claim's status link: opens its status page without the access token, for a week."""
    from .services import status_link_token

    return f"{settings.SITE_URL.rstrip('/')}{reverse('pages:status-link', args=[status_link_token(claim)])}"


def claim_email_send(*, claim_id: int, template: str, event_id: int | None = None) -> None:
    claim = Claim.objects.select_related("model").get(pk=claim_id)
    with translation.override(claim.language), claim_time_zone(claim):
        context = {
            "claim": claim,
            "status_url": status_url(claim),
            "note": _agent_words(claim, template=template, event_id=event_id),
            "fulfilment": claim_fulfilment(claim=claim) if template in FULFILMENT_EMAILS else None,
            "disposal": extensions.disposal_status.ask(claim, default={})
            if template == "disposal_confirmed"
            else {},
            "emergency_number": emergency_number(claim.country),
            "sections": [section(claim) for section in extensions.received_email_sections]
            if template in UNIT_AT_HOME_EMAILS
            else [],
            "claims": [
                {"claim": other, "status_url": status_url(other), "status": STATUS_LABELS.get(other.status)}
                for other in Claim.objects.filter(email=claim.email)
                .select_related("model")
                .order_by("-created_at")
            ]
            if template == "status_links"
            else [],
        }
        subject = render_to_string(f"claims/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"claims/email/{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [claim.email], connection=outbox_mail_connection())


def _agent_words(claim: Claim, *, template: str, event_id: int | None) -> str | None:
    """What an agent wrote to the customer that the e-mail passes on: the rejection's reason, or the
    message it is about (never an internal note: those are not public)."""
    if template == "rejected":
        event = claim.events.filter(new_status=ClaimStatus.REJECTED).order_by("-created_at", "-pk").first()
    elif template == "message":
        event = claim.events.filter(pk=event_id, public=True).first()
    else:
        return None
    return event.display_note if event is not None and event.note else None
