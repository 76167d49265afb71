import calendar
import io

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core.admin_site import RecordAdmin
from core.errors import ApplicationError
from recalls.models import Recall

from .models import RecallReport
from .rendering import correction_chart, csv_write, notice_row, notices_chart, offer_description, table_row
from .selectors import correction_rate_by_month, recall_report_recalls, recall_report_rows

VIEW_PERMISSION = "reports.view_recall_report"


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
