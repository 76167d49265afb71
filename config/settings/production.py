"""Production: PostgreSQL, Redis, S3 and SMTP, all named by the environment.

Nothing falls back to the embedded configuration: a setting that is missing, or that names an embedded
service (SQLite, the file-system broker, a per-process cache), stops the process at start with a
message naming every one of them.
"""

import os

from django.core.exceptions import ImproperlyConfigured

# name: what it is, and the schemes that would mean an embedded service
_REQUIRED = {
    "DJANGO_SECRET_KEY": ("a long random secret", ()),
    "DJANGO_ALLOWED_HOSTS": ("the public host names", ()),
    "DATABASE_URL": ("postgres://...", ("sqlite",)),
    "CELERY_BROKER_URL": ("redis://...", ("filesystem", "atomicfs", "memory")),
    "CACHE_URL": (
        "rediscache://... (throttles and idempotency shared by every process)",
        ("locmemcache", "dummycache", "filecache"),
    ),
    "AWS_STORAGE_BUCKET_NAME": ("the private S3 bucket of uploads", ()),
    "EMAIL_HOST": ("the SMTP server", ()),
}
_problems = []
for _name, (_what, _embedded) in _REQUIRED.items():
    _value = os.environ.get(_name, "").strip()
    if not _value:
        _problems.append(f"{_name} is not set ({_what})")
    elif _value.split(":", 1)[0] in _embedded:
        _problems.append(f"{_name} names an embedded service ({_value.split(':', 1)[0]}); give {_what}")
if _problems:
    raise ImproperlyConfigured("Production settings refuse to start: " + "; ".join(_problems) + ".")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
# Staff accounts sign in with a second factor (TOTP), whatever the environment says.
STAFF_TWO_FACTOR = True
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
LOGGING["handlers"]["console"]["formatter"] = env.str("LOG_FORMAT", default="json")  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
