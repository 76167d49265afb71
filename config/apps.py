from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin, on the programme's own site (``config.admin.StaffAdminSite``)."""

    default_site = "config.admin.StaffAdminSite"
