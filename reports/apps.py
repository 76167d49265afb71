from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from claims import extensions as claims_extensions
        from recalls import extensions as recalls_extensions

        from .services import status_links_count
        from .tallies import serial_check_count

        # Recalls and claims know no reports: the serial checks and the status-link requests the
        # monthly report counts are told through the slots they declare.
        recalls_extensions.serial_checked.register(serial_check_count)
        claims_extensions.status_links_requested.register(status_links_count)
