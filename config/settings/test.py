"""Settings for the test suite: service-backed settings come from the environment as in base."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The tests of a real worker read its e-mails from files (the worker is another process).
EMAIL_BACKEND = env.str("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))  # noqa: F405
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Tests check throttling explicitly with their own rates; everything else runs unthrottled.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]),
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each process of the tests (their worker processes too) has a cache of its own, so no flag could say
# that another process queued a drain: every commit queues its own (tests/test_outbox_drain.py: the flag).
OUTBOX_DRAIN_QUEUED_SECONDS = 0
# Unit tests run tasks inline; the tests of the worker itself start real worker processes.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
# Serial-check counts are flushed by the tests that read them, never by a thread behind their back.
SERIAL_CHECK_TALLY_SECONDS = 0
