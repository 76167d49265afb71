"""The staff site and the admin building blocks the apps share."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm

from .registry import Registry

# Sections an app puts at the top of the staff site's index (the incidents app: the reporting deadlines
# still running, the clusters outside the recall), each rendered for the request, empty where the user
# may not see it.
admin_index_sections: Registry[Callable[[HttpRequest], SafeString | str]] = Registry(
    "core.admin_index_sections"
)


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


class StaffLoginForm(OTPAdminAuthenticationForm):
    """Password and authenticator code on one page: each agent has one device (``enrol_totp``), so the
    code is checked against it without asking which."""

    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "device_required": "This account has no authenticator yet: an administrator enrols it with "
        "`manage.py enrol_totp`.",
    }

    def _chosen_device(self, user):
        return super()._chosen_device(user) or next(devices_for_user(user, confirmed=True), None)


class StaffAdminSite(admin.AdminSite):
    """The support workspace. With ``STAFF_TWO_FACTOR`` (always on in production settings) staff sign in
    with their password and a TOTP code (django-otp), and a session not verified by one is refused."""

    site_header = "Recall programme: support workspace"
    site_title = "Recall programme"
    index_title = "Claims, remedies and recycling"
    index_template = "core/admin_index.html"

    def index(self, request, extra_context=None):
        sections = [section(request) for section in admin_index_sections]
        return super().index(request, {**(extra_context or {}), "sections": [s for s in sections if s]})

    def login(self, request, extra_context=None):
        # Read at each login, not at start-up: the setting is the process's (tests override it).
        two_factor = settings.STAFF_TWO_FACTOR
        self.login_form = StaffLoginForm if two_factor else None
        self.login_template = "admin/login_totp.html" if two_factor else None
        return super().login(request, extra_context)

    def has_permission(self, request) -> bool:
        verified = not settings.STAFF_TWO_FACTOR or request.user.is_verified()
        return super().has_permission(request) and verified
