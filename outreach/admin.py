"""Known owners, for supervisors only (``roles.py``): read-only, written by the import."""

from django.contrib import admin

from claims.contacts import email_key
from core.admin_site import RecordAdmin

from .models import KnownOwner


@admin.register(KnownOwner)
class KnownOwnerAdmin(RecordAdmin):
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
