from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "fulfilment"
    verbose_name = "Fulfilment"

    def ready(self) -> None:
        from claims import extensions

        from . import tasks  # noqa: F401 - registered in every process: claims queues them by name
        from .selectors import fulfilment_for_claim, fulfilment_line_for_agents
        from .services import replacement_erase_address

        # Claims knows no gift-card ledger: this app tells it, through the slots claims declares.
        extensions.fulfilment_summary.register(fulfilment_for_claim)
        extensions.fulfilment_line_for_agents.register(fulfilment_line_for_agents)
        extensions.personal_data_erasers.register(replacement_erase_address)
