from django.apps import AppConfig


class DisposalConfig(AppConfig):
    name = "disposal"
    verbose_name = "Disposal"

    def ready(self) -> None:
        from claims import notifications, selectors

        from .selectors import disposal_status_for_claim, nearest_facilities_email_section

        # Claims knows no recycling centres: this app tells it, through the hooks claims provides.
        selectors.disposal_status_provider = disposal_status_for_claim
        notifications.received_email_sections.append(nearest_facilities_email_section)
