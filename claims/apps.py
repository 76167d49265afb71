from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"

    def ready(self) -> None:
        # Registered in every process, not only the worker: services queue tasks by name (dispatch.py).
        from . import tasks  # noqa: F401
