"""The incident page: a report in three languages, usable without JavaScript, and its confirmation
with what to do right now. Like the API view it parses, calls one service and renders."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from claims import extensions
from claims.forms import show_application_error
from claims.models import Channel, Claim
from core.api import status_for
from core.errors import ApplicationError
from core.throttling import rate_limit_wait
from recalls.countries import emergency_number

from .forms import IncidentForm
from .models import Incident
from .services import IncidentSubmission, incident_submit

SUBMITTED_SESSION_KEY = "incidents.submitted"
PREFILL_FIELDS = ("model_number", "serial", "country", "claim_reference")


def report_url_for_claim(claim: Claim) -> str:
    """The incident page with the claim's reference, model, serial and country filled in: the link on
    the claim's status page."""
    prefill = {
        "claim_reference": claim.reference,
        "model_number": claim.model.model_number,
        "serial": claim.serial,
        "country": claim.country,
    }
    return f"{reverse('incidents:report')}?{urlencode({k: v for k, v in prefill.items() if v})}"


def _render(
    request: HttpRequest, template: str, context: dict, *, status: int = 200, wait: int | None = None
):
    kept = {name: request.GET[name] for name in PREFILL_FIELDS if name in request.GET}
    context["language_next"] = f"{request.path}?{urlencode(kept)}" if kept else request.path
    response = render(request, f"incidents/pages/{template}", context, status=status)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


def _safety(country: str) -> dict:
    found = extensions.nearest_centres.ask(country, "") if country else None
    return {
        "emergency_number": emergency_number(country) if country else "",
        "centres": found.centres if found else [],
        "centres_near": "",
        "centres_city_unknown": "",
    }


@require_http_methods(["GET", "POST"])
def incident_report(request: HttpRequest) -> HttpResponse:
    status, wait = 200, None
    if request.method == "POST":
        form = IncidentForm(request.POST, request.FILES)
        wait = rate_limit_wait(request, scope="incidents")
        if wait is not None:
            status = 429
            form.add_error(
                None,
                ngettext(
                    "Too many requests from your connection. Please try again in %(seconds)d second.",
                    "Too many requests from your connection. Please try again in %(seconds)d seconds.",
                    wait,
                )
                % {"seconds": wait},
            )
        elif not form.is_valid():
            status = 400
        else:
            try:
                incident = incident_submit(
                    submission=IncidentSubmission(
                        **form.cleaned_data, channel=Channel.WEB, language=request.LANGUAGE_CODE
                    )
                )
            except ApplicationError as error:
                show_application_error(form, error)
                status = status_for(error)
            else:
                request.session[SUBMITTED_SESSION_KEY] = incident.reference
                return redirect("incidents:received")
    else:
        form = IncidentForm(
            initial={name: request.GET[name] for name in PREFILL_FIELDS if name in request.GET}
        )
    country = (form["country"].value() or "").upper()
    context = {
        "form": form,
        "emergency_number": emergency_number(country) if country else "",
        "files_dropped": bool(request.FILES) and form.errors,
    }
    return _render(request, "report.html", context, status=status, wait=wait)


@never_cache
@require_GET
def incident_received(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SUBMITTED_SESSION_KEY)
    if not reference:
        return redirect("incidents:report")
    incident = get_object_or_404(Incident.objects.select_related("model"), reference=reference)
    return _render(request, "received.html", {"incident": incident, **_safety(incident.country)})


def incident_link_for_claim(claim: Claim) -> tuple[str, str]:
    return _("Report a fire, smoke or overheating of this unit"), report_url_for_claim(claim)
