"""The kernel's records in the staff site: the outbox, with every delivery attempt."""

from django.contrib import admin, messages

from .admin_site import RecordAdmin, RecordInline
from .models import DeliveryAttempt, OutboxMessage
from .outbox import outbox_retry


class DeliveryAttemptInline(RecordInline):
    model = DeliveryAttempt
    fields = readonly_fields = ("attempted_at", "status_code", "error")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    """Messages owed outside (customers' e-mails, the gift-card provider's webhooks), with every attempt.
    Filter on "Failed after all attempts" for the dead letters; a supervisor can send them again."""

    # The payload holds a gift-card code: shown to no one here, in the list or the page.
    list_display = fields = readonly_fields = (
        "event_id",
        "topic",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "delivered_at",
    )
    list_filter = ["status", "topic"]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_selected"]

    @admin.action(description="Send the selected failed messages again", permissions=["retry"])
    def retry_selected(self, request, queryset):
        retried = outbox_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{retried} failed message(s) queued again.", messages.SUCCESS)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("core.retry_outboxmessage")
