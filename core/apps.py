from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin, on the programme's own site (``core.admin_site.StaffAdminSite``)."""

    default_site = "core.admin_site.StaffAdminSite"


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registered in every process: services queue them by name
