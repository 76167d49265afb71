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
from recalls.countries import country_label, emergency_number
from recalls.models import MarketRule, Remedy
from recalls.selectors import (
    market_rule_get,
    product_model_get,
    recall_for_model_in_country,
    recall_list_active,
)
from recalls.services import serial_check

from . import extensions
from .forms import (
    EVENT_LABELS,
    STATUS_LABELS,
    ClaimForm,
    PageMessages,
    SerialCheckForm,
    StatusForm,
    StatusLinksForm,
    show_application_error,
)
from .models import TRANSITIONS, Channel, Claim, ClaimStatus
from .selectors import (
    claim_disposal_status,
    claim_fulfilment,
    claim_public_events,
    claim_return_kit,
    claim_return_kit_offered,
    typical_review_days,
)
from .services import (
    ClaimSubmission,
    claim_cancel,
    claim_get_for_status_link,
    claim_get_for_token,
    claim_submit,
    status_links_request,
)
from .timezones import claim_time_zone
from .voucher import voucher_png

# The claim just submitted from this browser: its reference, and its access token until shown once.
SUBMITTED_SESSION_KEY = "claims.submitted"
PREFILL_FIELDS = ("model_number", "serial", "country", "city")


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


def _safety(*, country: str, city: str = "") -> dict[str, Any]:
    """What the "what to do right now" box needs: the fire service's number and the nearest centres."""
    found = extensions.nearest_centres.ask(country, city)
    return {
        "emergency_number": emergency_number(country),
        "centres": found.centres if found else [],
        "centres_near": found.near if found else "",
        "centres_city_unknown": found.city_unknown if found else "",
    }


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
    # A check asks for a serial; without one (a recall notice's link to an owner whose serial is not
    # known) the form is only filled in with what was given.
    bound = "serial" in request.GET
    prefill = {name: request.GET[name] for name in PREFILL_FIELDS if name in request.GET}
    form = SerialCheckForm(request.GET) if bound else SerialCheckForm(initial=prefill)
    context: dict[str, Any] = {"form": form, "recalls": _active_recalls()}
    status, wait = 200, None
    if bound:
        wait = _over_rate(request, form, scope="serial_checks")
        if wait is not None:
            status = 429
        elif not form.is_valid():
            status = 400
        else:
            asked = form.cleaned_data
            try:
                result = serial_check(
                    model_number=asked["model_number"], serial=asked["serial"], country=asked["country"]
                )
            except ApplicationError as error:
                show_application_error(form, error)
                status = status_for(error)
            else:
                attribution = request.session.get(extensions.ATTRIBUTION_SESSION_KEY)
                if attribution:
                    for checked in extensions.serial_checked_from:
                        checked(attribution)
                prefill = {
                    "model_number": result.model.model_number,
                    "serial": result.serial,
                    "country": result.country,
                    **({"city": asked["city"]} if asked["city"] else {}),
                }
                context["result"] = {
                    "check": result,
                    "country": country_label(result.country),
                    "offers": offer_lines(result.market_rule),
                    "elsewhere": [
                        {
                            "recall": elsewhere.recall,
                            "countries": ", ".join(str(country_label(c)) for c in elsewhere.countries),
                        }
                        for elsewhere in result.recalled_elsewhere
                    ],
                    "claim_url": f"{reverse('pages:claim')}?{urlencode(prefill)}",
                }
                if result.recalled or result.recalled_elsewhere:
                    context.update(_safety(country=result.country, city=asked["city"]))
    return _render(request, "index.html", context, status=status, wait=wait)


def _chosen_market(data) -> dict[str, Any] | None:
    """The recall and market rule of the model and country chosen so far, or None until both are."""
    model = product_model_get(model_number=data.get("model_number") or "")
    country = (data.get("country") or "").upper()
    if model is None or not country:
        return None
    recall = recall_for_model_in_country(model=model, country=country)
    rule = market_rule_get(recall=recall, country=country) if recall is not None else None
    if rule is None:
        return None
    return {
        "recall": recall,
        "model": model,
        "rule": rule,
        "country": country_label(country),
        "remedies": [(remedy, line) for remedy, line in zip(rule.remedies, offer_lines(rule), strict=True)],
    }


@require_http_methods(["GET", "POST"])
def claim_create(request: HttpRequest) -> HttpResponse:
    """The claim form, in two steps without JavaScript: the model and country first (or both from the
    serial check), then only that market's remedies, what happens next, and the rest of the claim."""
    status, wait = 200, None
    data = request.POST if request.method == "POST" else request.GET
    market = _chosen_market(data)
    remedies = market["remedies"] if market else None
    country = market["rule"].country if market else ""
    refund_currency = market["rule"].refund_currency if market and market["rule"].offers_refund else ""
    if request.method == "POST":
        form = ClaimForm(
            request.POST, request.FILES, remedies=remedies, country=country, refund_currency=refund_currency
        )
        wait = _over_rate(request, form, scope="claims")
        if wait is not None:
            status = 429
        elif not form.is_valid():
            status = 400
        else:
            submission = ClaimSubmission(
                **form.cleaned_data,
                language=request.LANGUAGE_CODE,
                channel=Channel.WEB,
                attribution=request.session.get(extensions.ATTRIBUTION_SESSION_KEY),
            )
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
        initial = {name: request.GET[name] for name in PREFILL_FIELDS if name in request.GET}
        if remedies is not None and len(remedies) == 1:
            initial["remedy"] = remedies[0][0]
        form = ClaimForm(initial=initial, remedies=remedies, country=country, refund_currency=refund_currency)
    context = {
        "form": form,
        "market": market,
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
        **_safety(country=claim.country, city=claim.city),
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


def _status_context(claim: Claim, *, link: str = "", token: str = "", confirm_cancel: bool = False) -> dict:
    disposal = claim_disposal_status(claim=claim)
    context: dict[str, Any] = {"claim": claim, "link": link, "token": token}
    if disposal["status"] == "pending":  # whatever the claim's status, a dangerous unit is at home
        context.update(_safety(country=claim.country, city=claim.city))
    context.update(
        status_label=STATUS_LABELS.get(claim.status, claim.status),
        remedy_label=claim.get_remedy_display(),
        country=country_label(claim.country),
        timeline=_timeline(claim),
        disposal=disposal,
        fulfilment=_fulfilment(claim),
        voucher=_voucher_data_url(claim)
        if disposal["status"] == "pending" and context.get("centres")
        else None,
        return_kit=claim_return_kit(claim=claim),
        return_kit_offered=disposal["status"] == "pending" and claim_return_kit_offered(claim=claim),
        can_cancel=ClaimStatus.CANCELLED in TRANSITIONS[claim.status],
        confirm_cancel=confirm_cancel,
        review_days=typical_review_days() if claim.status == ClaimStatus.NEEDS_REVIEW else None,
        links=[link for link in (offer(claim) for offer in extensions.status_page_links) if link is not None],
    )
    return context


def _status_page(*, form, links_form=None, claim: Claim | None = None, notice: str | None = None) -> dict:
    """What every state of the status page shows: messages, the look-up form, the lost-token form."""
    return {
        "form": form,
        "lookup_form": form if isinstance(form, StatusForm) else StatusForm(),
        "links_form": links_form if links_form is not None else StatusLinksForm(),
        "claim": claim,
        "notice": notice,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def claim_status(request: HttpRequest) -> HttpResponse:
    """Reference and access token (always POSTed, never in a URL), or a status link, show the claim;
    it can be cancelled, after a confirmation."""
    claim, notice, status, wait = None, None, 200, None
    link = request.POST.get("link", "")
    # "Cancel my claim" asks first; only the confirmation's own button cancels.
    cancelling = request.POST.get("cancel") == "confirmed"
    ordering_kit = request.POST.get("return_kit") == "order"
    confirm_cancel = request.POST.get("cancel") == "ask"
    form: StatusForm | PageMessages = StatusForm(request.POST) if request.method == "POST" else StatusForm()
    if link:
        form = PageMessages()
    if request.method == "POST":
        wait = _over_rate(request, form, scope="claims" if cancelling or ordering_kit else "public")
        if wait is not None:
            status = 429
        elif link:
            try:
                claim = claim_get_for_status_link(link=link)
            except ApplicationError as error:
                form.add_error(None, error.detail)
                status = 404
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
        if claim is not None and ordering_kit:
            try:
                extensions.return_kit_order.ask(claim)
                notice = _("Your return kit is ordered. We post it to the address on your claim.")
            except ApplicationError as error:
                if error.code != "return_kit_not_offered":
                    raise
                form.add_error(None, error.detail)
                status = status_for(error)
    else:
        form = StatusForm(initial={"reference": request.GET.get("reference", "")})
    context = _status_page(form=form, claim=claim, notice=notice)
    if claim is not None:
        token = "" if link else form.cleaned_data["token"]
        context.update(_status_context(claim, link=link, token=token, confirm_cancel=confirm_cancel))
    with claim_time_zone(claim):
        return _render(request, "status.html", context, status=status, wait=wait)


@never_cache
@require_GET
def claim_status_link(request: HttpRequest, link: str) -> HttpResponse:
    """The status page opened from a status link in an e-mail: no token needed, for 7 days."""
    form, status = PageMessages(), 200
    context = _status_page(form=form)
    wait = _over_rate(request, form, scope="public")
    if wait is not None:
        return _render(request, "status.html", context, status=429, wait=wait)
    try:
        claim = claim_get_for_status_link(link=link)
    except ApplicationError as error:
        form.add_error(None, error.detail)
        status = 404
    else:
        context.update(_status_context(claim, link=link))
    with claim_time_zone(context["claim"]):
        response = _render(request, "status.html", context, status=status)
    # The link is a key: it must not leave in a Referer. "same-origin", not "no-referrer": with no
    # referrer at all the browser sends "Origin: null" with the page's forms, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["POST"])
def status_links(request: HttpRequest) -> HttpResponse:
    """A customer who lost the token asks for status links by e-mail; the answer never says whether
    the address has claims."""
    links_form = StatusLinksForm(request.POST)
    context = _status_page(form=PageMessages(), links_form=links_form)
    status = 200
    wait = _over_rate(request, links_form, scope="claims")
    if wait is not None:
        status = 429
    elif not links_form.is_valid():
        status = 400
    else:
        status_links_request(email=links_form.cleaned_data["email"], channel=Channel.WEB)
        context["notice"] = _(
            "If we have claims for this address, we have sent it an e-mail with a link to each. "
            "Check your inbox and spam folder."
        )
        context["links_form"] = StatusLinksForm()
    return _render(request, "status.html", context, status=status, wait=wait)
