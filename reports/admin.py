import calendar
import datetime
import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.admin_site import RecordAdmin
from core.errors import ApplicationError
from recalls.models import Recall

from .models import MonthlyReportLock, RecallReport, StockCount
from .monthly import month_parse, next_month
from .monthly_rendering import monthly_pages
from .rendering import correction_chart, csv_write, notice_row, notices_chart, offer_description, table_row
from .selectors import correction_rate_by_month, recall_report_recalls, recall_report_rows
from .services import monthly_report_csv, monthly_report_lock, monthly_report_pdf, monthly_reports

VIEW_PERMISSION = "reports.view_recall_report"
LOCK_PERMISSION = "reports.lock_monthly_report"


@admin.register(RecallReport)
class RecallReportAdmin(RecordAdmin):
    """The monthly progress report for product-safety regulators, in place of a change list.

    ``?recall=CODE`` narrows it to one recall; ``csv/`` downloads the rows of ``recall_report --format csv``.
    """

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm(VIEW_PERMISSION)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("", self.admin_site.admin_view(self.changelist_view), name="{}_{}_changelist".format(*info)),
            path("csv/", self.admin_site.admin_view(self.csv_view), name="{}_{}_csv".format(*info)),
            path(
                "monthly/", self.admin_site.admin_view(self.monthly_view), name="{}_{}_monthly".format(*info)
            ),
            path(
                "monthly/csv/",
                self.admin_site.admin_view(self.monthly_csv_view),
                name="{}_{}_monthly_csv".format(*info),
            ),
            path(
                "monthly/pdf/",
                self.admin_site.admin_view(self.monthly_pdf_view),
                name="{}_{}_monthly_pdf".format(*info),
            ),
            path(
                "monthly/lock/",
                self.admin_site.admin_view(require_POST(self.monthly_lock_view)),
                name="{}_{}_monthly_lock".format(*info),
            ),
        ]

    def _recall_code(self, request: HttpRequest) -> str | None:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return request.GET.get("recall") or None

    def changelist_view(self, request: HttpRequest, extra_context=None):
        recall_code = self._recall_code(request)
        try:
            recalls = recall_report_recalls(recall_code=recall_code)
        except ApplicationError as exc:
            raise Http404(exc.detail) from None
        rows = recall_report_rows(recall_code=recall_code)
        today = timezone.localdate()
        programmes = []
        for recall in recalls:
            own = [row for row in rows if row.recall == recall.code]
            programmes.append(
                {
                    "recall": recall,
                    "offers": [(rule.country, offer_description(rule)) for rule in recall.market_rules.all()],
                    "rows": [(row, table_row(row)[2:]) for row in own],
                    "notices": [(row, notice_row(row)[2:]) for row in own],
                    "notices_chart": notices_chart(own),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": "Recall programme: monthly progress report",
            "opts": self.opts,
            "period": today.strftime("%B %Y"),
            "period_start": today.replace(day=1),
            "period_end": today.replace(day=calendar.monthrange(today.year, today.month)[1]),
            "as_of": timezone.localtime(),
            "recall_code": recall_code,
            "all_codes": list(Recall.objects.order_by("code").values_list("code", flat=True)),
            "programmes": programmes,
            "chart": correction_chart(correction_rate_by_month(recall_code=recall_code, until=today)),
        }
        return TemplateResponse(request, "admin/reports/recall_report.html", context)

    def csv_view(self, request: HttpRequest) -> HttpResponse:
        recall_code = self._recall_code(request)
        try:
            rows = recall_report_rows(recall_code=recall_code)
        except ApplicationError as exc:
            raise Http404(exc.detail) from None
        out = io.StringIO()
        csv_write(out, rows)
        name = f"recall-report-{recall_code or 'all'}-{timezone.localdate():%Y-%m}.csv"
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    # --- The monthly progress report ------------------------------------------------------------

    def _month(self, request: HttpRequest, data) -> datetime.date:
        text = data.get("month")
        if not text:
            last = timezone.now().astimezone(datetime.UTC).date().replace(day=1) - datetime.timedelta(days=1)
            return last.replace(day=1)  # the month last over: the one to submit
        try:
            return month_parse(text)
        except ApplicationError as exc:
            raise Http404(exc.detail) from None

    def _monthly(self, request: HttpRequest):
        recall_code = self._recall_code(request)
        month = self._month(request, request.GET)
        try:
            return recall_code, month, monthly_reports(month=month, recall_code=recall_code)
        except ApplicationError as exc:
            raise Http404(exc.detail) from None

    def monthly_view(self, request: HttpRequest):
        recall_code, month, reports = self._monthly(request)
        query = {"month": f"{month:%Y-%m}", **({"recall": recall_code} if recall_code else {})}
        today = timezone.now().astimezone(datetime.UTC).date()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Monthly progress report: {month:%B %Y}",
            "opts": self.opts,
            "month": month,
            "previous_month": f"{(month - datetime.timedelta(days=1)):%Y-%m}",
            "following_month": f"{next_month(month):%Y-%m}",
            "query": urlencode(query),
            "recall_code": recall_code,
            "all_codes": list(Recall.objects.order_by("code").values_list("code", flat=True)),
            "pages": monthly_pages([{**report.page(), "recall": report.recall} for report in reports]),
            "can_lock": request.user.has_perm(LOCK_PERMISSION) and next_month(month) <= today,
        }
        return TemplateResponse(request, "admin/reports/monthly_report.html", context)

    def _download(self, data: bytes, content_type: str, name: str) -> HttpResponse:
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def monthly_csv_view(self, request: HttpRequest) -> HttpResponse:
        recall_code, month, reports = self._monthly(request)
        name = f"monthly-progress-report-{recall_code or 'all'}-{month:%Y-%m}.csv"
        return self._download(monthly_report_csv(reports), "text/csv; charset=utf-8", name)

    def monthly_pdf_view(self, request: HttpRequest) -> HttpResponse:
        recall_code, month, reports = self._monthly(request)
        name = f"monthly-progress-report-{recall_code or 'all'}-{month:%Y-%m}.pdf"
        return self._download(monthly_report_pdf(reports), "application/pdf", name)

    def monthly_lock_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(LOCK_PERMISSION):
            raise PermissionDenied
        month = self._month(request, request.POST)
        recall = Recall.objects.filter(code=request.POST.get("recall", "")).first()
        if recall is None:
            raise Http404("No such recall.")
        try:
            monthly_report_lock(recall=recall, month=month, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request, f"The report of {recall.code} for {month:%B %Y} is locked as submitted."
            )
        url = reverse("admin:reports_recallreport_monthly")
        return HttpResponseRedirect(f"{url}?{urlencode({'month': f'{month:%Y-%m}', 'recall': recall.code})}")


class StockCountForm(forms.ModelForm):
    month = forms.CharField(
        help_text="YYYY-MM: the month the counts are for.",
        max_length=7,
        widget=forms.TextInput(attrs={"size": 8}),
    )

    class Meta:
        model = StockCount
        fields = ["recall", "month", "level", "units_held", "units_corrected"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["month"] = f"{self.instance.month:%Y-%m}"

    def clean_month(self) -> datetime.date:
        try:
            return month_parse(self.cleaned_data["month"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.detail) from None


@admin.register(StockCount)
class StockCountAdmin(admin.ModelAdmin):
    """Supervisors enter, per recall and month, the units that sat with the trade and were corrected."""

    form = StockCountForm
    list_display = [
        "recall",
        "month_shown",
        "level",
        "units_held",
        "units_corrected",
        "entered_by",
        "updated_at",
    ]
    list_filter = ["recall", "level"]
    readonly_fields = ["entered_by", "updated_at"]

    @admin.display(description="month", ordering="month")
    def month_shown(self, obj: StockCount) -> str:
        return f"{obj.month:%Y-%m}"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MonthlyReportLock)
class MonthlyReportLockAdmin(RecordAdmin):
    """The reports as submitted: who locked which month and when (read only)."""

    list_display = ["recall", "month_shown", "locked_by", "locked_at"]
    list_filter = ["recall"]
    fields = ["recall", "month", "locked_by", "locked_at"]
    readonly_fields = fields

    @admin.display(description="month", ordering="month")
    def month_shown(self, obj: MonthlyReportLock) -> str:
        return f"{obj.month:%Y-%m}"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("csv", "pdf", "figures")
