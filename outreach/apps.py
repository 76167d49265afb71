from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = "Recall notices"

    def ready(self) -> None:
        from claims import extensions

        from .privacy import known_owners_retention

        # Known owners are erased with the claims' retention, by the command claims owns.
        extensions.retention_erasers.register(known_owners_retention)
