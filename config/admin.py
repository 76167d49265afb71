"""Admin building blocks shared by the apps."""

from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """Records that only the services and commands write: staff read them here, never add, edit or delete."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RecordInline(admin.TabularInline):
    """A read-only list of a record's rows on its page."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
