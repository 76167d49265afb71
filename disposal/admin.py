from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from core.admin_site import RecordAdmin

from .models import DisposalConfirmation, FacilityCertification, RecyclingFacility, ReturnKit
from .selectors import return_kits_overdue


class CertificationInline(admin.TabularInline):
    model = FacilityCertification
    extra = 0


@admin.register(RecyclingFacility)
class RecyclingFacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "active", "accepts_lithium_ion", "token_rotated_at"]
    list_filter = ["country", "active", "accepts_lithium_ion"]
    search_fields = ["name", "address"]
    # The token's hash is never shown; tokens are issued and rotated by command.
    exclude = ["api_token_hash"]
    readonly_fields = ["token_rotated_at", "created_at"]
    inlines = [CertificationInline]


@admin.register(DisposalConfirmation)
class DisposalConfirmationAdmin(RecordAdmin):
    list_display = ["claim", "facility", "condition", "received_at"]
    list_filter = ["condition", "facility"]
    search_fields = ["claim__reference", "serial_observed"]
    list_select_related = ["claim", "facility"]


class ReturnKitOverdueFilter(admin.SimpleListFilter):
    """Kits that reached the customer long ago without the unit reaching a centre: agents follow them up."""

    title = "unit not arrived"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", f"Shipped over {settings.RETURN_KIT_OVERDUE_DAYS} days ago, unit not arrived")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return return_kits_overdue(queryset)
        return queryset


@admin.register(ReturnKit)
class ReturnKitAdmin(RecordAdmin):
    list_display = ["claim", "status", "reason", "tracking_number", "ordered_at", "shipped_at", "days_out"]
    list_filter = [ReturnKitOverdueFilter, "status", "reason"]
    search_fields = ["claim__reference", "tracking_number"]
    list_select_related = ["claim", "return_to"]

    @admin.display(description="days since shipped")
    def days_out(self, kit: ReturnKit) -> str:
        if kit.shipped_at is None or kit.status == ReturnKit.Status.RETURNED:
            return "-"
        days = (timezone.now() - kit.shipped_at).days
        overdue = days > settings.RETURN_KIT_OVERDUE_DAYS
        return f"{days} (overdue)" if overdue else str(days)
