"""Settings of the fraud bench: the embedded configuration in a folder of its own, remedies issued inline
(as the worker would, at commit), e-mails kept in memory, only warnings logged."""

from config.settings.local import *  # noqa: F403

DEBUG = False
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
