"""The supervisors' view of the recall notices: campaigns with their waves, funnel and notice preview,
started, paused and resumed from their page; the call list of owners to phone; the known owners."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from claims.contacts import email_key
from core.admin_site import RecordAdmin
from core.charts import BarChart, bar_chart
from core.errors import ApplicationError
from recalls.countries import country_label
from recalls.models import MarketRule
from recalls.selectors import market_rule_get

from .models import CallListEntry, Campaign, Channel, KnownOwner, Notice, Wave
from .selectors import FUNNEL, STAGE_LABELS, STAGES, FunnelRow, campaign_funnel, notified_so_far
from .services import (
    campaign_pause,
    campaign_resume,
    campaign_start,
    market_language,
    notice_called,
    notice_text,
)

RUN_PERMISSION = "outreach.run_campaign"
LANGUAGE_NAMES = {"en": "English", "de": "German", "ja": "Japanese"}


class WaveForm(forms.ModelForm):
    """A wave's day and channel may change until it is planned; after that its notices are written."""

    class Meta:
        model = Wave
        fields = ["day", "channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        wave = self.instance
        if wave.pk is not None and (
            wave.planned_at is not None or wave.campaign.status == Campaign.Status.ENDED
        ):
            for field in self.fields.values():
                field.disabled = True


class WaveInline(admin.TabularInline):
    model = Wave
    form = WaveForm
    fields = ["number", "day", "channel", "planned"]
    readonly_fields = ["number", "planned"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign")

    @admin.display(description="planned")
    def planned(self, wave: Wave) -> str:
        if wave.planned_at is not None:
            return date_format(timezone.localtime(wave.planned_at), "DATETIME_FORMAT")
        started = wave.campaign.started_at
        if started is None:
            return f"{wave.day} days after the start"
        return f"due {date_format(timezone.localtime(started + datetime.timedelta(days=wave.day)), 'DATETIME_FORMAT')}"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # A wave is part of its campaign's plan: whoever may change the campaign may change its waves.
    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("outreach.change_campaign")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("outreach.view_campaign")


class CampaignAddForm(forms.ModelForm):
    """A new campaign: the recall, one of the markets it has rules for, and how many notices a day."""

    country = forms.ChoiceField(help_text="A market of the recall (one with a market rule).")

    class Meta:
        model = Campaign
        fields = ["recall", "country", "daily_limit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = MarketRule.objects.order_by("country").values_list("country", flat=True).distinct()
        self.fields["country"].choices = [("", "---------"), *((c, country_label(c)) for c in codes)]

    def clean(self):
        cleaned = super().clean()
        recall, country = cleaned.get("recall"), cleaned.get("country")
        if recall is not None and country and market_rule_get(recall=recall, country=country) is None:
            self.add_error("country", f"{recall.code} has no market rule for {country}: add one first.")
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """A campaign per recall and market: added as a draft, then started from its page, where its waves,
    its funnel and its notice are shown."""

    list_display = ["recall", "country", "status", "started_at", "limit", "notified"]
    list_display_links = ["recall", "country"]
    list_filter = ["status", "country", "recall"]
    list_select_related = ["recall"]
    ordering = ["recall__code", "country"]
    change_form_template = "admin/outreach/campaign/change_form.html"
    _change_fields = ["recall", "country", "status", "daily_limit", "sent_today", "started_at", "ended_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return super().get_queryset(request).annotate(notified=notified_so_far())

    @admin.display(description="notified", ordering="notified")
    def notified(self, campaign: Campaign) -> int:
        return campaign.notified

    @admin.display(description="daily limit", ordering="daily_limit")
    def limit(self, campaign: Campaign) -> str:
        return f"{campaign.daily_limit:,}"

    @admin.display(description="sent today")
    def sent_today(self, campaign: Campaign) -> str:
        sent = campaign.sent_that_day if campaign.sending_day == timezone.localdate() else 0
        return f"{sent:,} of {campaign.daily_limit:,}"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CampaignAddForm
        form = super().get_form(request, obj, change, **kwargs)
        recall = form.base_fields.get("recall")
        if recall is not None:  # no pop-ups: a recall is made on its own page
            for can in ("add", "change", "view", "delete"):
                setattr(recall.widget, f"can_{can}_related", False)
        return form

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
        }
        return super().add_view(request, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        # What follows adding is starting it, from its page.
        self.message_user(
            request, f"The {obj} campaign was added as a draft: start it here.", messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:outreach_campaign_change", args=[obj.pk]))

    def get_fields(self, request, obj=None):
        fields = ["recall", "country", "daily_limit"] if obj is None else list(self._change_fields)
        if obj is not None and obj.is_demo:
            fields.append("is_demo")
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [name for name in self.get_fields(request, obj) if name != "daily_limit"]

    def get_inlines(self, request, obj):
        return [WaveInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # its notices are the record of who was told: never deleted from here

    def has_run_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RUN_PERMISSION)

    # -- Start, pause, resume ------------------------------------------------------------------------

    def get_urls(self):
        custom = [
            path(
                f"<int:object_id>/{verb}/",
                self.admin_site.admin_view(self.run_view),
                {"verb": verb},
                name=f"outreach_campaign_{verb}",
            )
            for verb in ("start", "pause", "resume")
        ]
        return custom + super().get_urls()

    def run_view(self, request: HttpRequest, object_id: int, verb: str) -> HttpResponse:
        if not self.has_run_permission(request):
            raise PermissionDenied
        change_url = reverse("admin:outreach_campaign_change", args=[object_id])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        campaign = get_object_or_404(Campaign.objects.select_related("recall"), pk=object_id)
        try:
            if verb == "start":
                campaign = campaign_start(recall=campaign.recall, country=campaign.country)
                first = campaign.waves.order_by("number").first()
                planned = first.notices.count() if first is not None else 0
                done = f"is running: its first wave reaches {planned:,} owner(s)"
            elif verb == "pause":
                campaign_pause(campaign=campaign)
                done = "is paused: no notice is sent until it is resumed"
            else:
                campaign_resume(campaign=campaign)
                done = "is running again"
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
        else:
            self.message_user(request, f"The {campaign} campaign {done}.", messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    # -- The campaign's page -------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if campaign is not None:
            rows = campaign_funnel(campaign=campaign)
            extra_context = {
                **extra_context,
                "funnel": rows,
                "stage_labels": [STAGE_LABELS[name] for name in ["planned", *STAGES]],
                "chart": funnel_chart(rows),
                "previews": notice_previews(campaign),
                "can_run": self.has_run_permission(request),
                "show_save_and_add_another": False,
                "call_list_url": self._call_list_url(request, campaign),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _call_list_url(self, request: HttpRequest, campaign: Campaign) -> str:
        if not self.admin_site.get_model_admin(CallListEntry).has_view_permission(request):
            return ""
        url = reverse("admin:outreach_calllistentry_changelist")
        return f"{url}?wave__campaign__id__exact={campaign.pk}"


def funnel_chart(rows: list[FunnelRow]) -> BarChart:
    """The funnel of each wave, its channels together (one notice per owner per wave)."""
    waves: dict[int, list[FunnelRow]] = {}
    for row in rows:
        if row.wave is not None:
            waves.setdefault(row.wave, []).append(row)
    groups = [
        (
            f"Wave {number}: {Channel(parts[0].wave_channel).label}, day {parts[0].day}",
            [sum(getattr(part, stage) for part in parts) for stage in FUNNEL],
        )
        for number, parts in waves.items()
    ]
    return bar_chart(groups, series=[STAGE_LABELS[stage] for stage in FUNNEL])


def notice_previews(campaign: Campaign) -> list[dict]:
    """The notice in the market's language, then in English: e-mail subject and body, and the SMS."""
    market = market_language(campaign.country)
    previews = []
    for language in dict.fromkeys([market, "en"]):
        if language == market:
            email = notice_text(campaign=campaign, channel=Channel.EMAIL, owner=None)
            sms = notice_text(campaign=campaign, channel=Channel.SMS, owner=None)
        else:
            email = notice_text(campaign=campaign, channel=Channel.EMAIL, language=language)
            sms = notice_text(campaign=campaign, channel=Channel.SMS, language=language)
        previews.append(
            {
                "language": LANGUAGE_NAMES.get(language, language),
                "code": language,
                "is_market": language == market,
                "email": email,
                "sms": sms.body.strip(),
            }
        )
    return previews


@admin.register(CallListEntry)
class CallListAdmin(RecordAdmin):
    """Owners the call wave reaches, to phone: the pending call notices of running campaigns. An agent
    who called marks them "Called"."""

    list_display = ["owner_name", "phone", "model_number", "serial", "campaign", "wave_number"]
    list_display_links = None
    list_filter = ["wave__campaign"]
    search_fields = ["owner__name", "owner__phone", "owner__serial"]
    actions = ["mark_called"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallListEntry]:
        return (
            super()
            .get_queryset(request)
            .filter(
                channel=Channel.CALL,
                status=Notice.Status.PENDING,
                wave__campaign__status=Campaign.Status.RUNNING,
            )
            .select_related("owner__model", "wave__campaign__recall")
            .order_by("wave__campaign_id", "wave__number", "pk")
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("outreach.view_notice") and request.user.has_perm(
            "outreach.view_knownowner"
        )

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Call list: owners to phone"}
        return super().changelist_view(request, extra_context)

    def has_call_permission(self, request) -> bool:
        return request.user.has_perm(RUN_PERMISSION)

    @admin.display(description="owner", ordering="owner__name")
    def owner_name(self, entry: CallListEntry) -> str:
        return entry.owner.name or "(no name)"

    @admin.display(description="phone")
    def phone(self, entry: CallListEntry) -> str:
        return format_html('<a href="tel:{}">{}</a>', entry.owner.phone, entry.owner.phone)

    @admin.display(description="model")
    def model_number(self, entry: CallListEntry) -> str:
        return entry.owner.model.model_number

    @admin.display(description="serial")
    def serial(self, entry: CallListEntry) -> str:
        return entry.owner.serial or "(not known)"

    @admin.display(description="campaign", ordering="wave__campaign")
    def campaign(self, entry: CallListEntry) -> str:
        return str(entry.wave.campaign)

    @admin.display(description="wave", ordering="wave__number")
    def wave_number(self, entry: CallListEntry) -> str:
        return f"{entry.wave.number} (day {entry.wave.day})"

    @admin.action(description="Called: the owner was told", permissions=["call"])
    def mark_called(self, request, queryset):
        called, done_already = 0, 0
        for entry in queryset:
            try:
                notice_called(notice=entry, agent_id=str(request.user.pk))
            except ApplicationError:
                done_already += 1
            else:
                called += 1
        self.message_user(request, f"{called} call(s) recorded.", messages.SUCCESS)
        if done_already:
            self.message_user(request, f"{done_already} were recorded already.", messages.WARNING)


@admin.register(KnownOwner)
class KnownOwnerAdmin(RecordAdmin):
    """Known owners, for supervisors only (``roles.py``): read-only, written by the import."""

    list_display = ["recall", "country", "model", "covered", "source", "imported_at"]
    list_filter = ["recall", "covered"]
    list_select_related = ["recall", "model"]
    # The box takes an e-mail address, looked up by its indexed key (below), however many owners are known.
    search_fields = ["=email"]
    search_help_text = "An e-mail address: the owners of that mailbox, as the claims compare addresses."
    readonly_fields = [field.name for field in KnownOwner._meta.fields]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(email_key=email_key(term)), False
