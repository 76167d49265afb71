import os

from celery import Celery, signals

from core import broker  # noqa: F401 - registers the embedded broker's transport, atomicfs://

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("recall_claims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def drop_unusable_connections(task=None, **kwargs) -> None:
    """Connections are kept between tasks; one that broke or aged out is replaced, as for a request."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's transaction
    from django.db import close_old_connections

    close_old_connections()
