"""The support agents' workspace. Every decision goes through the services and the transition table;
no field of a claim is edited here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin_site import RecordAdmin, RecordInline
from core.errors import ApplicationError

from . import extensions
from .labels import LabelCheck
from .models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimFlag,
    ClaimStatus,
)
from .selectors import claims_sharing_contact
from .services import claim_approve, claim_mark_for_review, claim_reject, claim_remedy_retry
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

    title = "remedy"
    parameter_name = "remedy_failed"

    def lookups(self, request, model_admin):
        return [("yes", "Failed after all attempts"), ("retrying", "Being retried")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(remedy_failed_at__isnull=False)
        if self.value() == "retrying":
            return queryset.filter(remedy_attempts__gt=0, remedy_retry_at__isnull=False)
        return queryset


class DocumentInline(RecordInline):
    model = ClaimDocument
    fields = ["kind", "preview", "label", "content_type", "width", "height", "size", "sha256"]
    readonly_fields = fields

    @admin.display(description="label")
    def label(self, document: ClaimDocument) -> str:
        """What was read on the label photo: a tick for the claimed serial, or what it shows instead."""
        if not document.label_check:
            return "-"
        text = document.get_label_check_display()
        if document.label_serial:
            text = f"{text}: {document.label_serial}"
        return f"✔ {text}" if document.label_check == LabelCheck.VERIFIED else text

    @admin.display(description="document")
    def preview(self, document: ClaimDocument) -> str:
        url = reverse("admin:claims_claim_document", args=[document.pk])
        if document.is_image:
            return format_html(
                '<a href="{}" target="_blank"><img src="{}" alt="{}" style="max-width:480px;max-height:480px"></a>',
                url,
                url,
                document.get_kind_display(),
            )
        return format_html('<a href="{}" target="_blank">Open PDF</a>', url)


class FlagInline(RecordInline):
    model = ClaimFlag
    fk_name = "claim"
    fields = ["reason", "detail", "related_claim", "created_at"]
    readonly_fields = fields


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
        "public",
    ]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    @admin.display(description="note")
    def display_note(self, event: ClaimEvent) -> str:
        return event.display_note


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text="Sent to the customer by e-mail."
    )


@admin.register(Claim)
class ClaimAdmin(RecordAdmin):
    list_display = [
        "reference",
        "status",
        "recall_code",
        "country",
        "remedy",
        "model_number",
        "serial",
        "flagged",
        "created_at",
    ]
    list_filter = ["status", "recall", "country", "remedy", FlaggedFilter, RemedyFailedFilter]
    search_fields = ["=reference", "=serial", "=email"]
    list_select_related = ["recall", "model"]
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = "created_at"
    actions = ["approve_selected", "reject_selected", "mark_for_review_selected", "retry_remedy_selected"]
    inlines = [DocumentInline, FlagInline, EventInline]
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
                    "fulfilment",
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
            {"fields": ["customer_name", "email", "phone", "address", "language", "claims_from_contact"]},
        ),
        ("Times", {"fields": ["created_at", "updated_at", "closed_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def get_queryset(self, request):
        flagged = ClaimFlag.objects.filter(claim=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_flagged=Exists(flagged))

    # -- columns and fields --------------------------------------------------------------------

    @admin.display(description="recall", ordering="recall__code")
    def recall_code(self, claim: Claim) -> str:
        return claim.recall.code

    @admin.display(description="model", ordering="model__model_number")
    def model_number(self, claim: Claim) -> str:
        return claim.model.model_number

    @admin.display(description="flagged", boolean=True, ordering="is_flagged")
    def flagged(self, claim: Claim) -> bool:
        return claim.is_flagged

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

    # -- counts per status ---------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        counts = dict(Claim.objects.values_list("status").annotate(n=Count("pk")).order_by())
        extra_context = {
            **(extra_context or {}),
            "status_counts": [(value, label, counts.get(value, 0)) for value, label in ClaimStatus.choices],
        }
        return super().changelist_view(request, extra_context)

    # -- decisions -----------------------------------------------------------------------------

    def _require_review(self, request: HttpRequest) -> None:
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied

    def _decide(self, request, claims, decide, verb: str) -> None:
        done, refused = 0, []
        for claim in claims:
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
            agent, reason = str(request.user.pk), form.cleaned_data["reason"]
            self._decide(
                request, queryset, lambda c: claim_reject(claim=c, agent_id=agent, reason=reason), "rejected"
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
                "document/<int:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="claims_claim_document",
            ),
        ]
        return custom + super().get_urls()

    def decide_view(self, request, object_id: int):
        self._require_review(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[object_id]))
        claim = get_object_or_404(Claim, pk=object_id)
        agent, decision = str(request.user.pk), request.POST.get("decision")
        note = request.POST.get("note", "").strip()
        try:
            if decision == "approve":
                claim_approve(claim=claim, agent_id=agent, note=note)
            elif decision == "reject":
                claim_reject(claim=claim, agent_id=agent, reason=note)
            elif decision == "review":
                claim_mark_for_review(claim=claim, agent_id=agent, note=note)
            else:
                raise ApplicationError("validation_error", "Choose approve, reject or review.")
            claim.refresh_from_db()
            self.message_user(
                request, f"{claim.reference} is now {claim.get_status_display().lower()}.", messages.SUCCESS
            )
        except ApplicationError as exc:
            detail = " ".join(m for ms in exc.fields.values() for m in ms) if exc.fields else exc.detail
            self.message_user(request, detail, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[object_id]))

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_review": request.user.has_perm(REVIEW_PERMISSION),
            "review_statuses": ["needs_review"],
        }
        return super().change_view(request, object_id, form_url, extra_context)
