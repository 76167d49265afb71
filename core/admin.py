"""Admin building blocks shared by the apps."""

from django.conf import settings
from django.contrib import admin
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm


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

    @property
    def login_form(self):
        return StaffLoginForm if settings.STAFF_TWO_FACTOR else None

    @property
    def login_template(self):
        return "admin/login_totp.html" if settings.STAFF_TWO_FACTOR else None

    def has_permission(self, request) -> bool:
        verified = not settings.STAFF_TWO_FACTOR or request.user.is_verified()
        return super().has_permission(request) and verified
