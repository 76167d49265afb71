"""The support agents' workspace. Every decision goes through the services and the transition table;
no field of a claim is edited here."""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Value
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language_info
from modeltranslation.admin import TranslationAdmin

from core.admin_site import RecordAdmin, RecordInline
from core.errors import ApplicationError
from recalls.models import RecalledBatch, Remedy
from recalls.selectors import batch_covering_serial

from . import extensions
from .labels import LabelCheck
from .models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimFlag,
    ClaimStatus,
    ReplyTemplate,
    ReviewSettings,
)
from .selectors import claims_sharing_contact
from .services import (
    AgentWords,
    Decision,
    claim_approve,
    claim_decide,
    claim_hold_renew,
    claim_mark_for_review,
    claim_reject,
    claim_release,
    claim_remedy_retry,
    claim_take_next,
)
from .team import team_view

REVIEW_PERMISSION = "claims.review_claim"
RETRY_PERMISSION = "claims.retry_work"


class FlaggedFilter(admin.SimpleListFilter):
    title = "flagged"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged"), ("no", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_flagged=True)
        if self.value() == "no":
            return queryset.filter(is_flagged=False)
        return queryset


class RemedyFailedFilter(admin.SimpleListFilter):
    """Dead letters: remedies the sweep gave up on after all attempts, waiting for a supervisor."""

    title = "remedy delivery"
    parameter_name = "remedy_failed"

    def lookups(self, request, model_admin):
        return [("yes", "Failed after all attempts"), ("retrying", "Being retried")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(remedy_failed_at__isnull=False)
        if self.value() == "retrying":
            return queryset.filter(remedy_attempts__gt=0, remedy_retry_at__isnull=False)
        return queryset


class EventInline(RecordInline):
    model = ClaimEvent
    fields = [
        "created_at",
        "kind",
        "old_status",
        "new_status",
        "actor_kind",
        "actor_id",
        "display_note",
        "written_as",
        "public",
    ]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    @admin.display(description="note")
    def display_note(self, event: ClaimEvent) -> str:
        return event.display_note

    @admin.display(description="written as")
    def written_as(self, event: ClaimEvent) -> str:
        """Canned reasons reach customers in their language; an agent's own words as they were written."""
        if event.reply_template_id is not None:
            canned = f"Canned: {event.reply_template}"
            return f"{canned} + free text" if event.free_text else canned
        return "Free text" if event.free_text else "-"


class CannedReasonField(forms.ModelChoiceField):
    """The supervisors' canned texts that agents may send, grouped by what they are for."""

    def __init__(self, *, kinds: list[str], **kwargs) -> None:
        super().__init__(
            queryset=ReplyTemplate.objects.filter(active=True, kind__in=kinds),
            required=False,
            empty_label="(none: free text only)",
            **kwargs,
        )
        self.kinds = kinds

    def group(self) -> None:
        """Show the choices under their kind (read when the form is made: supervisors edit them)."""
        by_kind: dict[str, list[tuple[int, str]]] = {kind: [] for kind in self.kinds}
        for template in self.queryset:
            by_kind[template.kind].append((template.pk, template.title))
        labels = dict(ReplyTemplate.Kind.choices)
        self.choices = [
            ("", self.empty_label),
            *((labels[kind], items) for kind, items in by_kind.items() if items),
        ]


class _CannedForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].group()


_FREE_TEXT_HELP = "Free text is sent as you write it, in no other language."


class DecisionForm(_CannedForm):
    """The decision box of a claim's page: what the customer is told is kept apart from the team's note."""

    template = CannedReasonField(
        kinds=[ReplyTemplate.Kind.REJECTION, ReplyTemplate.Kind.MESSAGE],
        label="Canned reason or message",
        help_text="Sent in the claim's language.",
        widget=forms.Select(attrs={"autofocus": True, "form": "decision-form"}),
    )
    message = forms.CharField(
        label="Message to the customer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40, "form": "decision-form"}),
        help_text=f"E-mailed and shown on the claim's timeline; a rejection's reason. {_FREE_TEXT_HELP}",
    )
    note = forms.CharField(
        label="Internal note (agents only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40, "form": "decision-form"}),
        help_text="Never shown or sent to the customer.",
    )

    price_paid_confirmed = forms.DecimalField(
        label="Price paid, as on the receipt",
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "form": "decision-form"}),
        help_text="A refund is at least the price paid: the larger of the market's refund and this price "
        "is paid. Confirm it from the proof of purchase; saved with the decision.",
    )

    # The price first: read off the receipt before the words, and the keyboard's path from the words
    # through the note to Approve stays the same on every claim.
    field_order = ["price_paid_confirmed"]

    def __init__(self, *args, refund: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not refund:
            del self.fields["price_paid_confirmed"]

    def words(self) -> AgentWords:
        return AgentWords(text=self.cleaned_data["message"], template=self.cleaned_data["template"])


class RejectForm(_CannedForm):
    template = CannedReasonField(kinds=[ReplyTemplate.Kind.REJECTION], label="Canned reason")
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=f"Sent to each customer by e-mail, after the canned reason if one is chosen. {_FREE_TEXT_HELP}",
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("template") and not (cleaned.get("reason") or "").strip():
            raise forms.ValidationError("Choose a canned reason or write one: the customers are told.")
        return cleaned


def _duration(delta: datetime.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class Evidence:
    """A claim's documents as the review page shows them, with a near-duplicate claim's beside them."""

    claim: Claim
    documents: list[ClaimDocument]
    why: str = ""  # for a related claim: the flag that links them


@admin.register(Claim)
class ClaimAdmin(RecordAdmin):
    list_display = [
        "reference",
        "status",
        "in_review",
        "flag_reasons",
        "holder",
        "serial",
        "recall_code",
        "country",
    ]
    list_display_links = ["reference"]
    list_filter = ["status", "recall", "country", "remedy", FlaggedFilter, RemedyFailedFilter]
    search_fields = ["=reference", "=serial", "=email"]
    list_select_related = ["recall", "held_by"]
    list_per_page = 50
    show_full_result_count = False
    # The queue's order: who waited longest first; claims not in review after them, newest first.
    ordering = [F("review_since").asc(nulls_last=True), "-created_at"]
    actions = ["approve_selected", "reject_selected", "mark_for_review_selected", "retry_remedy_selected"]
    inlines = [EventInline]
    change_form_template = "admin/claims/claim/change_form.html"
    change_list_template = "admin/claims/claim/change_list.html"
    fieldsets = [
        (
            "Claim",
            {
                "fields": [
                    "reference",
                    "status",
                    "recall",
                    "model",
                    "serial",
                    "serial_recalled",
                    "country",
                    "remedy",
                    "unit_condition",
                    "price_paid",
                    "price_paid_confirmed",
                    "fulfilment",
                    "return_kit_line",
                ]
            },
        ),
        (
            "Accepted terms",
            {
                "fields": [
                    "terms_remedy",
                    "terms_amount",
                    "terms_currency",
                    "terms_replacement_model",
                    "terms_accepted_at",
                    "disposal_confirmed_at",
                ]
            },
        ),
        (
            "Remedy delivery",
            {"fields": ["remedy_attempts", "remedy_retry_at", "remedy_last_error", "remedy_failed_at"]},
        ),
        (
            "Customer",
            {
                "fields": [
                    "customer_name",
                    "email",
                    "phone",
                    "address",
                    "language_name",
                    "claims_from_contact",
                ]
            },
        ),
        ("Times", {"fields": ["created_at", "review_since", "updated_at", "closed_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def get_queryset(self, request):
        flagged = ClaimFlag.objects.filter(claim=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                is_flagged=Exists(flagged),
                # Read once for the page: every row of the list is measured against it.
                target_hours=Value(ReviewSettings.load().target_hours),
            )
            .prefetch_related("flags")
        )

    # -- columns and fields --------------------------------------------------------------------

    @admin.display(description="recall", ordering="recall__code")
    def recall_code(self, claim: Claim) -> str:
        return claim.recall.code

    @admin.display(description="in review", ordering="review_since")
    def in_review(self, claim: Claim) -> str:
        """How long the claim has waited for an agent, against the supervisors' service target."""
        if claim.status != ClaimStatus.NEEDS_REVIEW or claim.review_since is None:
            return "-"
        waited = timezone.now() - claim.review_since
        if waited > datetime.timedelta(hours=claim.target_hours):
            return format_html('<strong class="over-target">{} (over target)</strong>', _duration(waited))
        return _duration(waited)

    @admin.display(description="flags")
    def flag_reasons(self, claim: Claim) -> str:
        reasons = sorted({flag.get_reason_display() for flag in claim.flags.all()})
        return "; ".join(reasons) or "-"

    @admin.display(description="held by", ordering="held_by__username")
    def holder(self, claim: Claim) -> str:
        if claim.held_by is None or claim.held_until is None:
            return "-"
        if claim.held_until <= timezone.now():
            return f"{claim.held_by.get_username()} (lapsed)"
        return f"{claim.held_by.get_username()} until {timezone.localtime(claim.held_until):%H:%M}"

    @admin.display(description="address")
    def address(self, claim: Claim) -> str:
        lines = [
            claim.address_line1,
            claim.address_line2,
            f"{claim.postal_code} {claim.city}",
            claim.region,
            claim.country,
        ]
        return format_html_join("", "{}<br>", ((line,) for line in lines if line.strip()))

    @admin.display(description="language")
    def language_name(self, claim: Claim) -> str:
        """The language the customer reads: their e-mails and canned reasons come in it."""
        try:
            info = get_language_info(claim.language)
        except KeyError:
            return claim.language
        return (
            f"{info['name']} ({info['name_local']})" if info["name"] != info["name_local"] else info["name"]
        )

    @admin.display(description="claims from this e-mail or address")
    def claims_from_contact(self, claim: Claim) -> str:
        if claim.personal_data_erased_at is not None:
            return "-"
        # What the many-claims rule counts: "farmer+2@" and "77, Oak Street" count too.
        return (
            f"{claims_sharing_contact(claim=claim).count()} other open claim(s) share this e-mail or address"
        )

    @admin.display(description="fulfilment")
    def fulfilment(self, claim: Claim) -> str:
        return extensions.fulfilment_line_for_agents.ask(claim) or "-"

    @admin.display(description="return kit")
    def return_kit_line(self, claim: Claim) -> str:
        kit = extensions.return_kit_summary.ask(claim)
        if kit is None:
            return "-"
        return f"{kit['status']}, {kit['tracking_number']}" if kit["tracking_number"] else kit["status"]

    # -- the queue -------------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        counts = dict(Claim.objects.values_list("status").annotate(n=Count("pk")).order_by())
        extra_context = {
            **(extra_context or {}),
            "status_counts": [(value, label, counts.get(value, 0)) for value, label in ClaimStatus.choices],
            "can_review": request.user.has_perm(REVIEW_PERMISSION),
            "can_supervise": request.user.has_perm(RETRY_PERMISSION),
            "hold_minutes": settings.REVIEW_HOLD_MINUTES,
            # The queue needs the width of a 1280 px screen: the apps' menu stays one click away.
            "is_nav_sidebar_enabled": False,
            "queue_filters": urlencode(
                {k: v for k, v in request.GET.items() if k not in ("p", "o", "_changelist_filters")}
            ),
        }
        return super().changelist_view(request, extra_context)

    def _queue(self, request: HttpRequest, filters: str) -> QuerySet[Claim]:
        """The claims the agent's list shows with ``filters`` (its query string): take-next keeps to them."""
        listing = copy.copy(request)
        listing.GET = QueryDict(filters)
        try:
            return self.get_changelist_instance(listing).get_queryset(listing)
        except IncorrectLookupParameters:
            return self.get_queryset(request)

    def take_next_view(self, request: HttpRequest) -> HttpResponse:
        self._require_review(request)
        filters = request.POST.get("_changelist_filters", "") if request.method == "POST" else ""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))
        claim = claim_take_next(agent=request.user, among=self._queue(request, filters))
        if claim is None:
            self.message_user(request, "No claim in this queue is waiting for an agent.", messages.INFO)
            return HttpResponseRedirect(f"{reverse('admin:claims_claim_changelist')}?{filters}")
        return HttpResponseRedirect(self._claim_url(claim.pk, filters))

    def _claim_url(self, claim_id: int, filters: str) -> str:
        url = reverse("admin:claims_claim_change", args=[claim_id])
        return f"{url}?{urlencode({'_changelist_filters': filters})}" if filters else url

    # -- decisions -----------------------------------------------------------------------------

    def _require_review(self, request: HttpRequest) -> None:
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied

    def _decide(self, request, claims, decide, verb: str) -> None:
        done, refused = 0, []
        for claim in claims:
            if claim.held_by_other(request.user):
                refused.append(f"{claim.reference}: {claim.held_by.get_username()} is reviewing it.")
                continue
            try:
                decide(claim)
                done += 1
            except ApplicationError as exc:
                refused.append(f"{claim.reference}: {exc.detail}")
        if done:
            self.message_user(request, f"{done} claim(s) {verb}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Approve selected claims", permissions=["review"])
    def approve_selected(self, request, queryset):
        agent = str(request.user.pk)
        self._decide(request, queryset, lambda c: claim_approve(claim=c, agent_id=agent), "approved")

    @admin.action(description="Mark selected claims for re-review", permissions=["review"])
    def mark_for_review_selected(self, request, queryset):
        agent = str(request.user.pk)
        self._decide(
            request, queryset, lambda c: claim_mark_for_review(claim=c, agent_id=agent), "sent back to review"
        )

    @admin.action(description="Reject selected claims (asks for a reason)", permissions=["review"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            agent, reason, template = (
                str(request.user.pk),
                form.cleaned_data["reason"],
                form.cleaned_data["template"],
            )
            self._decide(
                request,
                queryset,
                lambda c: claim_reject(claim=c, agent_id=agent, reason=reason, template=template),
                "rejected",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject claims",
            "claims": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/claims/claim/reject_selected.html", context)

    @admin.action(description="Retry the remedy of selected claims", permissions=["retry"])
    def retry_remedy_selected(self, request, queryset):
        actor = str(request.user.pk)
        self._decide(
            request,
            queryset,
            lambda c: claim_remedy_retry(claim=c, actor_id=actor),
            "queued for their remedy",
        )

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm(RETRY_PERMISSION)

    # -- per-claim buttons and documents ---------------------------------------------------------

    def get_urls(self):
        custom = [
            path("next/", self.admin_site.admin_view(self.take_next_view), name="claims_claim_take_next"),
            path(
                "team/",
                self.admin_site.admin_view(lambda r: team_view(r, admin_site=self.admin_site)),
                name="claims_claim_team",
            ),
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="claims_claim_decide",
            ),
            path(
                "<int:object_id>/hold/",
                self.admin_site.admin_view(self.hold_view),
                name="claims_claim_hold",
            ),
            path(
                "document/<int:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="claims_claim_document",
            ),
        ]
        return custom + super().get_urls()

    def decide_view(self, request, object_id: int):
        """A decision from the claim's page; on success the agent's next claim opens, in their queue."""
        self._require_review(request)
        filters = request.POST.get("_changelist_filters", "")
        if request.method != "POST":
            return HttpResponseRedirect(self._claim_url(object_id, filters))
        claim = get_object_or_404(Claim.objects.select_related("held_by"), pk=object_id)
        form = DecisionForm(request.POST, refund=claim.remedy == Remedy.REFUND)
        try:
            if not form.is_valid():
                raise ApplicationError(
                    "validation_error", " ".join(m for ms in form.errors.values() for m in ms)
                )
            decision = request.POST.get("decision", "")
            claim = claim_decide(
                claim=claim,
                agent=request.user,
                decision=decision,
                message=form.words(),
                note=form.cleaned_data["note"],
                price_paid_confirmed=form.cleaned_data.get("price_paid_confirmed"),
            )
        except ApplicationError as exc:
            detail = " ".join(m for ms in exc.fields.values() for m in ms) if exc.fields else exc.detail
            self.message_user(request, detail, messages.ERROR)
            return HttpResponseRedirect(self._claim_url(object_id, filters))
        claim.refresh_from_db()
        done = "message sent" if decision == Decision.MESSAGE else f"now {claim.get_status_display().lower()}"
        self.message_user(request, f"{claim.reference}: {done}.", messages.SUCCESS)
        if decision == Decision.MESSAGE:
            return HttpResponseRedirect(self._claim_url(object_id, filters))
        following = claim_take_next(agent=request.user, among=self._queue(request, filters))
        if following is None:
            self.message_user(request, "No claim in this queue is waiting for an agent.", messages.INFO)
            return HttpResponseRedirect(f"{reverse('admin:claims_claim_changelist')}?{filters}")
        return HttpResponseRedirect(self._claim_url(following.pk, filters))

    def hold_view(self, request, object_id: int):
        """Renew (while the page is open) or release the agent's hold of a claim."""
        self._require_review(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[object_id]))
        claim = get_object_or_404(Claim, pk=object_id)
        if request.POST.get("hold") == "release":
            claim_release(claim=claim, agent=request.user)
            self.message_user(request, f"{claim.reference} is back in the queue.", messages.SUCCESS)
            filters = request.POST.get("_changelist_filters", "")
            return HttpResponseRedirect(f"{reverse('admin:claims_claim_changelist')}?{filters}")
        renewed = claim_hold_renew(claim=claim, agent=request.user)
        return HttpResponse(status=204 if renewed else 409)

    def document_view(self, request, document_id: int):
        """Uploads are private: served only here, to staff allowed to view claims."""
        if not request.user.has_perm("claims.view_claim"):
            raise PermissionDenied
        document = get_object_or_404(ClaimDocument, pk=document_id)
        response = FileResponse(document.file.open("rb"), content_type=document.content_type)
        response["Content-Disposition"] = (
            f'inline; filename="{document.claim.reference}-{document.kind}{document.extension}"'
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
        return response

    # -- the claim's page: what a decision needs, then the decision ------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if claim is not None:
            can_review = request.user.has_perm(REVIEW_PERMISSION)
            if can_review and claim.held_by_id == request.user.pk:
                claim_hold_renew(claim=claim, agent=request.user)
            extra_context = {
                **extra_context,
                **self._review_context(claim),
                "can_review": can_review,
                "in_review": claim.status == ClaimStatus.NEEDS_REVIEW,
                "held_by_me": claim.held_by_id == request.user.pk and not claim.held_by_other(request.user),
                "held_by_other": claim.held_by_other(request.user),
                "decision_form": DecisionForm(
                    refund=claim.remedy == Remedy.REFUND,
                    initial={"price_paid_confirmed": claim.price_paid_confirmed},
                ),
                "renew_seconds": settings.REVIEW_HOLD_MINUTES * 20,
                "customer_language": self.language_name(claim),
                "is_nav_sidebar_enabled": False,
                "filters": request.GET.get("_changelist_filters", ""),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _review_context(self, claim: Claim) -> dict:
        flags = list(claim.flags.select_related("related_claim"))
        related = {flag.related_claim_id: flag for flag in flags if flag.related_claim is not None}
        documents = ClaimDocument.objects.filter(claim_id__in=[claim.pk, *related]).order_by("kind")
        by_claim: dict[int, list[ClaimDocument]] = {}
        for document in documents:
            by_claim.setdefault(document.claim_id, []).append(document)
        evidence = [Evidence(claim=claim, documents=by_claim.get(claim.pk, []))]
        evidence += [
            Evidence(
                claim=flag.related_claim,
                documents=by_claim.get(claim_id, []),
                why=flag.get_reason_display(),
            )
            for claim_id, flag in related.items()
            if flag.related_claim is not None
        ]
        return {
            "flags": flags,
            "evidence": evidence,
            "batch": self._batch(claim),
            "label_verified": LabelCheck.VERIFIED,
        }

    def _batch(self, claim: Claim) -> RecalledBatch | None:
        if claim.is_proof_only:
            return None
        coverage = batch_covering_serial(model=claim.model, serial=claim.serial, country=claim.country)
        if coverage is None:
            return None
        return (
            RecalledBatch.objects.select_related("recall")
            .prefetch_related("markets")
            .get(pk=coverage.batch_id)
        )


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(TranslationAdmin):
    """Supervisors keep the canned reasons; agents read them here and choose them on a claim's page."""

    list_display = ["title", "kind", "active", "languages"]
    list_filter = ["kind", "active"]
    search_fields = ["title"]

    @admin.display(description="written in")
    def languages(self, template: ReplyTemplate) -> str:
        return ", ".join(
            code for code in ("en", "de", "ja") if (getattr(template, f"text_{code}") or "").strip()
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # claims' timelines name the canned reason they sent: switch it off instead


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    """The one row of settings supervisors keep for the queue."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = ReviewSettings.load()
        return HttpResponseRedirect(reverse("admin:claims_reviewsettings_change", args=[settings_row.pk]))
