"""The supervisors' triage of incidents: what happened, its severity, the follow-up, the report to the
regulator and its deadline; the deadlines still running and the clusters outside the recalled batches
on the staff site's index and the incidents' list. Agents read reports; supervisors triage them."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.errors import ApplicationError

from .models import Incident
from .selectors import DeadlineShown, clusters_outside_recalls, deadlines_shown
from .services import TRIAGE_FIELDS, incident_triage, incident_triage_check

TRIAGE_PERMISSION = "incidents.change_incident"
REPORT_FIELDS = (
    "reference",
    "created_at",
    "channel",
    "is_demo",
    "model",
    "serial",
    "batch",
    "recall",
    "country",
    "occurred_on",
    "description",
    "photo_link",
    "name",
    "email",
    "phone",
    "language",
    "claim",
    "claim_reference",
)
DEADLINE_FIELDS = (
    "report_rule",
    "report_due_at",
    "time_left",
    "reported_at",
    "halfway_warned_at",
    "triaged_at",
    "triaged_by",
)


class IncidentTriageForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = list(TRIAGE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        changes = {name: cleaned[name] for name in self.changed_data if name in cleaned}
        try:
            incident_triage_check(incident=Incident.objects.get(pk=self.instance.pk), changes=changes)
        except ApplicationError as error:
            for name, messages in (error.fields or {}).items():
                self.add_error(name if name in self.fields else None, messages)
            raise ValidationError(error.detail) from None
        return cleaned


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentTriageForm
    list_display = (
        "reference",
        "created_at",
        "kind",
        "injury",
        "property_damage",
        "model",
        "country",
        "status",
        "severity",
        "deadline",
    )
    list_filter = ("status", "kind", "injury", "severity", "country", "channel", "is_demo")
    search_fields = ("reference", "serial", "email", "claim_reference", "regulator_reference")
    list_select_related = ("model",)
    date_hierarchy = "created_at"
    readonly_fields = (*REPORT_FIELDS, *DEADLINE_FIELDS)
    fieldsets = (
        ("The report", {"fields": REPORT_FIELDS}),
        ("Triage", {"fields": TRIAGE_FIELDS}),
        (
            "Report to the regulator",
            {
                "fields": DEADLINE_FIELDS,
                "description": "A fire, an explosion or an injury is serious: it is due to its market's "
                "regulator (US: CPSC 15(b), 24 hours; EU/EEA: GPSR Art. 20, 2 days; JP: 10 days; other "
                "countries: 2 days) from when the programme learnt of it. Entering the regulator's "
                "reference, or the status reported, meets the deadline.",
            },
        ),
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # reports come from customers, through the page or the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the regulators' figures count every report

    def save_model(self, request, obj, form, change) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in TRIAGE_FIELDS}
        incident_triage(incident_id=obj.pk, changes=changes, user=request.user)
        obj.refresh_from_db()

    @admin.display(description="deadline")
    def deadline(self, incident: Incident) -> str:
        if incident.report_due_at is None:
            return "–"
        if incident.reported_at is not None:
            return "met"
        return DeadlineShown(incident, incident.report_due_at - timezone.now()).left_text

    @admin.display(description="time left")
    def time_left(self, incident: Incident) -> str:
        return self.deadline(incident)

    @admin.display(description="photo")
    def photo_link(self, incident: Incident) -> str:
        if not incident.photo:
            return "–"
        url = reverse("admin:incidents_incident_photo", args=[incident.pk])
        return format_html(
            '<a href="{}"><img src="{}" alt="Photo of {}" style="max-width:320px"></a>',
            url,
            url,
            incident.reference,
        )

    def get_urls(self):
        return [
            path(
                "<int:incident_id>/photo/",
                self.admin_site.admin_view(self.photo_view),
                name="incidents_incident_photo",
            ),
            *super().get_urls(),
        ]

    def photo_view(self, request, incident_id: int):
        """Photos are private: served only here, to staff allowed to read incidents."""
        if not request.user.has_perm("incidents.view_incident"):
            raise PermissionDenied
        incident = get_object_or_404(Incident, pk=incident_id)
        if not incident.photo:
            raise PermissionDenied
        response = FileResponse(incident.photo.open("rb"), content_type=incident.photo_content_type)
        response["Content-Disposition"] = f'inline; filename="{incident.reference}-photo"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
        return response

    def changelist_view(self, request, extra_context=None):
        extra = {"clusters": clusters_outside_recalls() if request.user.has_perm(TRIAGE_PERMISSION) else []}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


def incidents_index_section(request: HttpRequest) -> SafeString | str:
    """The deadlines still running, with the time left, and the clusters: for those who triage."""
    if not request.user.has_perm(TRIAGE_PERMISSION):
        return ""
    return render_to_string(
        "admin/incidents/index_section.html",
        {"deadlines": deadlines_shown(), "clusters": clusters_outside_recalls()},
        request=request,
    )
