from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
