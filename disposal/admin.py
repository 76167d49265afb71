from django.contrib import admin

from core.admin_site import RecordAdmin

from .models import DisposalConfirmation, FacilityCertification, RecyclingFacility


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
