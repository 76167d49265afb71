from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from claims import extensions
        from core.admin_site import admin_index_sections
        from core.models import OutboxMessage
        from core.outbox import outbox_topic_register

        from . import tasks  # noqa: F401 - registered in every process: the beat queues it by name
        from .admin import incidents_index_section
        from .notifications import staff_email_deliver
        from .views import incident_link_for_claim

        # A customer reports a fire from their claim's status page; claims knows no incidents.
        extensions.status_page_links.register(incident_link_for_claim)
        admin_index_sections.register(incidents_index_section)
        outbox_topic_register(OutboxMessage.Topic.STAFF_EMAIL, staff_email_deliver)
