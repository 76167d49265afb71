from django.apps import AppConfig


class DisposalConfig(AppConfig):
    name = "disposal"
    verbose_name = "Disposal"

    def ready(self) -> None:
        from claims import extensions

        from .selectors import disposal_status_for_claim, nearest_centres, nearest_facilities_email_section

        # Claims knows no recycling centres: this app tells it, through the slots claims declares.
        extensions.disposal_status.register(disposal_status_for_claim)
        extensions.received_email_sections.register(nearest_facilities_email_section)
        extensions.nearest_centres.register(nearest_centres)
