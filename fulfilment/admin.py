"""The remedies issued, for supervisors and agents to look up: read-only, written by the services."""

from django.contrib import admin

from core.admin_site import RecordAdmin

from .models import GiftCard, Refund, Replacement


@admin.register(GiftCard)
class GiftCardAdmin(RecordAdmin):
    list_display = ["masked_code", "claim", "amount", "currency", "status", "issued_at"]
    list_filter = ["status", "currency"]
    search_fields = ["=claim__reference"]
    list_select_related = ["claim"]
    fields = ["masked_code", "claim", "amount", "currency", "status", "issued_at", "redeemed_at"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Replacement)
class ReplacementAdmin(RecordAdmin):
    list_display = [
        "claim",
        "model",
        "ship_to_country",
        "shipping_status",
        "tracking_number",
        "ordered_at",
        "shipped_at",
    ]
    list_filter = ["shipping_status", "ship_to_country", "model"]
    search_fields = ["=claim__reference", "=tracking_number"]
    list_select_related = ["claim", "model"]
    readonly_fields = [f.name for f in Replacement._meta.fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(RecordAdmin):
    list_display = [
        "claim",
        "amount",
        "currency",
        "payout_status",
        "payout_reference",
        "instructed_at",
        "paid_at",
    ]
    list_filter = ["payout_status", "currency"]
    search_fields = ["=claim__reference", "=payout_reference"]
    list_select_related = ["claim"]
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
