"""The tracked link of a recall notice."""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from claims.extensions import ATTRIBUTION_SESSION_KEY
from core.throttling import rate_limit_wait

from .services import notice_for_link, notice_opened


@require_GET
def notice_link(request: HttpRequest, token: str) -> HttpResponse:
    """Record that the notice was opened and send the owner to the serial check, prefilled with what
    the notice knows; what they do from here counts for the notice (see ``claims.extensions``)."""
    wait = rate_limit_wait(request, scope="public")
    if wait is not None:
        response = HttpResponse("Too many requests.", status=429, content_type="text/plain")
        response["Retry-After"] = str(wait)
        return response
    notice = notice_for_link(token)
    if notice is None:
        raise Http404
    notice_opened(notice=notice)
    request.session[ATTRIBUTION_SESSION_KEY] = {"notice": notice.pk}
    owner = notice.owner
    prefill = {"model_number": owner.model.model_number, "country": owner.country}
    if owner.serial:
        prefill["serial"] = owner.serial
    anchor = "#result" if owner.serial else "#check-title"
    response = HttpResponseRedirect(f"{reverse('pages:index')}?{urlencode(prefill)}{anchor}")
    response["Referrer-Policy"] = "no-referrer"  # the link's token stays out of other sites' logs
    response["Cache-Control"] = "no-store"
    return response
