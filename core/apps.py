from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin, on the programme's own site (``core.admin.StaffAdminSite``)."""

    default_site = "core.admin.StaffAdminSite"


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
