"""The customer pages: serial check, claim form, confirmation and status. Usable without JavaScript.

Like the API views they parse, call one service and render; domain errors land on the form.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.api import status_for
from core.errors import ApplicationError
from core.throttling import rate_limit_wait
from recalls.countries import country_label
from recalls.models import MarketRule, Remedy
from recalls.selectors import recall_list_active
from recalls.services import serial_check

from .forms import (
    EVENT_LABELS,
    STATUS_LABELS,
    ClaimForm,
    SerialCheckForm,
    StatusForm,
    show_application_error,
)
from .models import TRANSITIONS, Claim, ClaimStatus
from .selectors import claim_disposal_status, claim_fulfilment, claim_public_events
from .services import ClaimSubmission, claim_cancel, claim_get_for_token, claim_submit
from .timezones import claim_time_zone
from .voucher import voucher_png

# The claim just submitted from this browser: its reference, and its access token until shown once.
SUBMITTED_SESSION_KEY = "claims.submitted"
PREFILL_FIELDS = ("model_number", "serial", "country")


def offer_lines(rule: MarketRule | None) -> list[str]:
    """What a market rule offers, in words and amounts of the active language."""
    if rule is None:
        return []
    lines = []
    for remedy in rule.remedies:
        if remedy == "replacement" and rule.replacement_model is not None:
            model = rule.replacement_model
            lines.append(_("Replacement unit: %(model)s") % {"model": f"{model.model_number} {model.name}"})
        elif remedy == "gift_card":
            amount = formats.number_format(rule.gift_card_amount, 2, use_l10n=True)
            lines.append(
                _("Gift card worth %(amount)s %(currency)s")
                % {"amount": amount, "currency": rule.gift_card_currency}
            )
        elif remedy == "refund":
            amount = formats.number_format(rule.refund_amount, 2, use_l10n=True)
            lines.append(
                _("Refund of %(amount)s %(currency)s") % {"amount": amount, "currency": rule.refund_currency}
            )
        else:
            lines.append(str(Remedy(remedy).label))
    return lines


def _markets(recall) -> list[dict[str, Any]]:
    return [
        {
            "country": country_label(rule.country),
            "offers": offer_lines(rule),
            "disposal_first": rule.disposal_before_remedy,
            "photo_required": rule.product_photo_required,
        }
        for rule in recall.market_rules.all()
    ]


def _active_recalls() -> list[dict[str, Any]]:
    return [
        {"recall": recall, "models": list(recall.models.all()), "markets": _markets(recall)}
        for recall in recall_list_active()
    ]


def _over_rate(request: HttpRequest, form, *, scope: str) -> int | None:
    """Count the request; if it is over the rate, say so on the form and return the seconds to wait."""
    wait = rate_limit_wait(request, scope=scope)
    if wait is not None:
        form.add_error(
            None,
            ngettext(
                "Too many requests from your connection. Please try again in %(seconds)d second.",
                "Too many requests from your connection. Please try again in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
        )
    return wait


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    wait: int | None = None,
) -> HttpResponse:
    # The language switcher comes back here, keeping only what may stand in a URL (never a token).
    kept = {name: request.GET[name] for name in (*PREFILL_FIELDS, "reference") if name in request.GET}
    context["language_next"] = f"{request.path}?{urlencode(kept)}" if kept else request.path
    response = render(request, f"claims/pages/{template}", context, status=status)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Active recalls, and the serial check (a GET form: its result can be bookmarked or shared)."""
    bound = any(name in request.GET for name in PREFILL_FIELDS)
    form = SerialCheckForm(request.GET if bound else None)
    context: dict[str, Any] = {"form": form, "recalls": _active_recalls()}
    status, wait = 200, None
    if bound:
        wait = _over_rate(request, form, scope="serial_checks")
        if wait is not None:
            status = 429
        elif not form.is_valid():
            status = 400
        else:
            try:
                result = serial_check(**form.cleaned_data)
            except ApplicationError as error:
                show_application_error(form, error)
                status = status_for(error)
            else:
                prefill = {
                    "model_number": result.model.model_number,
                    "serial": result.serial,
                    "country": result.country,
                }
                context["result"] = {
                    "check": result,
                    "country": country_label(result.country),
                    "offers": offer_lines(result.market_rule),
                    "claim_url": f"{reverse('pages:claim')}?{urlencode(prefill)}",
                }
    return _render(request, "index.html", context, status=status, wait=wait)


@require_http_methods(["GET", "POST"])
def claim_create(request: HttpRequest) -> HttpResponse:
    status, wait = 200, None
    if request.method == "POST":
        form = ClaimForm(request.POST, request.FILES)
        wait = _over_rate(request, form, scope="claims")
        if wait is not None:
            status = 429
        elif not form.is_valid():
            status = 400
        else:
            submission = ClaimSubmission(**form.cleaned_data, language=request.LANGUAGE_CODE)
            try:
                submitted = claim_submit(submission=submission)
            except ApplicationError as error:
                show_application_error(form, error)
                status = status_for(error)
            else:
                request.session[SUBMITTED_SESSION_KEY] = {
                    "reference": submitted.claim.reference,
                    "token": submitted.access_token,
                }
                return redirect("pages:claim-submitted")
    else:
        form = ClaimForm(initial={name: request.GET[name] for name in PREFILL_FIELDS if name in request.GET})
    context = {
        "form": form,
        "recalls": _active_recalls(),
        # Browsers never send a file input's file again: after an error the customer attaches it anew.
        "files_dropped": bool(request.FILES) and form.errors,
    }
    return _render(request, "claim_form.html", context, status=status, wait=wait)


@never_cache
@require_GET
def claim_submitted(request: HttpRequest) -> HttpResponse:
    """The confirmation: the access token is shown on the first view only, then dropped."""
    submitted = request.session.get(SUBMITTED_SESSION_KEY)
    if not submitted:
        return redirect("pages:claim")
    token = submitted.pop("token", None)
    if token is not None:
        request.session[SUBMITTED_SESSION_KEY] = submitted
    claim = get_object_or_404(Claim.objects.select_related("model"), reference=submitted["reference"])
    context = {
        "claim": claim,
        "token": token,
        "status_label": STATUS_LABELS.get(claim.status, claim.status),
        "remedy_label": claim.get_remedy_display(),
        "status_url": f"{reverse('pages:status')}?{urlencode({'reference': claim.reference})}",
    }
    return _render(request, "claim_submitted.html", context)


def _timeline(claim: Claim) -> list[dict[str, Any]]:
    return [
        {
            "at": event.created_at,
            "what": EVENT_LABELS.get(event.kind, event.kind),
            "status": STATUS_LABELS.get(event.new_status) if event.kind == "status_changed" else None,
            "note": event.display_note,
        }
        for event in claim_public_events(claim=claim)
    ]


def _fulfilment(claim: Claim) -> dict[str, Any] | None:
    """What the customer received, with amounts in the active language's format."""
    fulfilment = claim_fulfilment(claim=claim)
    if fulfilment is not None and "amount" in fulfilment:
        fulfilment["amount"] = formats.number_format(Decimal(fulfilment["amount"]), 2, use_l10n=True)
    return fulfilment


def _voucher_data_url(claim: Claim) -> str:
    """The drop-off voucher inline: it needs the token, which never goes into a URL of its own."""
    return "data:image/png;base64," + base64.b64encode(voucher_png(claim=claim)).decode()


@never_cache
@require_http_methods(["GET", "POST"])
def claim_status(request: HttpRequest) -> HttpResponse:
    """Reference and access token (always POSTed, never in a URL) show the claim; it can be cancelled."""
    claim, notice, status, wait = None, None, 200, None
    if request.method == "POST":
        form = StatusForm(request.POST)
        cancelling = "cancel" in request.POST
        wait = _over_rate(request, form, scope="claims" if cancelling else "public")
        if wait is not None:
            status = 429
        elif not form.is_valid():
            status = 400
        else:
            try:
                claim = claim_get_for_token(
                    reference=form.cleaned_data["reference"], token=form.cleaned_data["token"]
                )
            except ApplicationError:
                form.add_error(
                    None,
                    _("We found no claim with this reference and access token. Check both and try again."),
                )
                status = 404
            if claim is not None and cancelling:
                try:
                    claim = claim_cancel(claim=claim)
                    notice = _("Your claim is cancelled.")
                except ApplicationError as error:
                    if error.code != "invalid_transition":
                        raise
                    claim.refresh_from_db()
                    form.add_error(
                        None,
                        _("This claim can no longer be cancelled: its status is “%(status)s”.")
                        % {"status": STATUS_LABELS.get(claim.status, claim.status)},
                    )
                    status = status_for(error)
    else:
        form = StatusForm(initial={"reference": request.GET.get("reference", "")})
    context: dict[str, Any] = {"form": form, "claim": claim, "notice": notice}
    if claim is not None:
        disposal = claim_disposal_status(claim=claim)
        context.update(
            token=form.cleaned_data["token"],
            status_label=STATUS_LABELS.get(claim.status, claim.status),
            remedy_label=claim.get_remedy_display(),
            country=country_label(claim.country),
            timeline=_timeline(claim),
            disposal=disposal,
            fulfilment=_fulfilment(claim),
            voucher=_voucher_data_url(claim) if disposal["status"] == "pending" else None,
            can_cancel=ClaimStatus.CANCELLED in TRANSITIONS[claim.status],
        )
    with claim_time_zone(claim):
        return _render(request, "status.html", context, status=status, wait=wait)
