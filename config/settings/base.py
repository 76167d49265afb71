"""Settings shared by every configuration, read from the environment.

With no environment at all the project runs embedded: SQLite, local private files, a file-system
Celery broker and e-mails written to files, all under ``var/``.
"""

import datetime
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="embedded-only-secret-key-not-for-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin: the recalls' per-language fields are registered before the admin reads them.
    "modeltranslation",
    "core.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "csp",
    "core.apps.CoreConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "recalls",
    "claims",
    "fulfilment",
    "disposal",
    "outreach",
    "incidents",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.ProxyConfigurationCheck",
    "core.middleware.ApiAnswersInJson",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it refuses a locked-out login before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a transaction
    # starts, so two writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    # Persistent connections, without a health-check query per request or task: a connection that
    # failed is dropped at the start of the next one (close_old_connections), which is enough here.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, idempotency keys) ---------------------------------------------------------
# Embedded: files in var/cache, shared by the web processes, so a throttle counts each client once
# however many gunicorn workers serve it (a per-process memory cache would count it once per worker).
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache":
    CACHES["default"]["BACKEND"] = "core.cache.FileCache"  # a throttle's counter counted under a lock

# --- Staff logins ---------------------------------------------------------------------------------
# A user name, or a client, is refused for 15 minutes after 5 failed logins, even with the right password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sign in with a TOTP code as well (django-otp; `manage.py enrol_totp USER` gives an agent one).
# Production settings always turn it on; here it is off unless asked, so the demo logins just work.
STAFF_TWO_FACTOR = env.bool("STAFF_TWO_FACTOR", default=False)
OTP_TOTP_ISSUER = "Recall programme"

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The client as the throttles see it (core.clients): X-Forwarded-For counts only behind the proxies
# that set it, or a client would rotate it to dodge the lockout, and behind a proxy all staff would
# share the proxy's address.
_NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "core.clients.client_address"

# --- Content-Security-Policy ----------------------------------------------------------------------
# No page needs an inline script; the admin's and the report's inline styles are allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Passwords ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages ------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Recall texts customers read are kept per language (django-modeltranslation, recalls/translation.py);
# one not written in the reader's language reads in English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
# Uploads are private: no MEDIA_URL is served. Staff read them through an authenticated view.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default=None)
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "file_permissions_mode": 0o600},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A claim's whole body: two files of 15 MB and its fields. Larger is refused from its Content-Length.
MAX_REQUEST_BODY_BYTES = 32 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    # A hung SMTP server fails the attempt (retried later) well before the task's time limit.
    EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Recall programme <recall@example.com>")
# Links in e-mails point here; without SITE_URL, at the port `make run` serves on.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

# --- Celery ---------------------------------------------------------------------------------------
# The embedded broker: kombu's file-system transport, with messages written atomically (core.broker).
EMBEDDED_BROKER_URL = "atomicfs://localhost//"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=EMBEDDED_BROKER_URL)
if CELERY_BROKER_URL.startswith(("atomicfs://", "filesystem://")):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The transport polls once a second by default: about 30 tasks/s. 10 ms drains thousands.
        "polling_interval": 0.01,
    }
else:
    # A message not acknowledged within this time is delivered again: no countdown comes near it
    # (retries wait in the database), and no task runs longer than CELERY_TASK_TIME_LIMIT.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Messages a worker process reserves ahead. Measured on bench/fulfilment.py (2 processes): 1 issues 90
# gift cards/s, 4 about 122, 16 about 135; but what one worker reserves, another idle one cannot take,
# and a long import holds up what its worker reserved. 4 by default; a worker given the remedies queue
# alone can take more.
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Keep database connections between tasks (Celery's Django fixup closes them after every task unless
# told otherwise); config/celery.py still drops broken or expired ones before each task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ROUTES = {
    "fulfilment.tasks.remedy_issue_task": {"queue": "remedies"},
    "fulfilment.tasks.remedies_sweep": {"queue": "remedies"},
    "core.tasks.outbox_deliver_task": {"queue": "notifications"},
    "core.tasks.outbox_drain_task": {"queue": "notifications"},
    "core.tasks.outbox_sweep_task": {"queue": "notifications"},
    "claims.tasks.claim_email": {"queue": "notifications"},
    "outreach.tasks.notices_send_task": {"queue": "notifications"},
    "outreach.tasks.notices_sweep_task": {"queue": "notifications"},
    "incidents.tasks.incident_deadlines_warn_task": {"queue": "notifications"},
}


def _every(seconds: float, task: str) -> dict:
    # A run not started within its interval is dropped: sweeps do not pile up while workers are down.
    return {"task": task, "schedule": seconds, "options": {"expires": seconds * 0.9}}


CELERY_BEAT_SCHEDULE = {
    "remedies-sweep": _every(60.0, "fulfilment.tasks.remedies_sweep"),
    "outbox-sweep": _every(60.0, "core.tasks.outbox_sweep_task"),
    "idempotency-purge": _every(3600.0, "core.tasks.idempotency_purge_task"),
    "orphaned-documents-sweep": _every(3600.0, "claims.tasks.documents_orphaned_sweep_task"),
    "disposal-reminders": _every(3600.0, "claims.tasks.disposal_reminders_task"),
    # Waves whose day has come are planned; notices left by a lost task are sent.
    "notices-sweep": _every(300.0, "outreach.tasks.notices_sweep_task"),
    # Supervisors hear of a serious incident's reporting deadline when half of its time is gone.
    "incident-deadlines": _every(300.0, "incidents.tasks.incident_deadlines_warn_task"),
}
# A claim waiting for its unit to be handed in reminds the customer this many days after it began to
# wait, once each.
DISPOSAL_REMINDER_DAYS = env.list("DISPOSAL_REMINDER_DAYS", cast=int, default=[7, 21])
# A due remedy not issued this long after it became due is queued again by the sweep; each further
# attempt waits twice as long, and after RETRY_MAX_ATTEMPTS it is dead-lettered for a supervisor.
REMEDY_SWEEP_AFTER_SECONDS = env.int("REMEDY_SWEEP_AFTER_SECONDS", default=300)
# The same for messages owed outside (e-mails, webhooks) that were not delivered.
OUTBOX_SWEEP_AFTER_SECONDS = env.int("OUTBOX_SWEEP_AFTER_SECONDS", default=120)
# How long a queued drain of the outbox stands for the messages committed after it (core.dispatch).
OUTBOX_DRAIN_QUEUED_SECONDS = env.int("OUTBOX_DRAIN_QUEUED_SECONDS", default=2)
RETRY_MAX_ATTEMPTS = env.int("RETRY_MAX_ATTEMPTS", default=8)

# Incident reports of one model from this many different units whose serials are alike but for their
# last INCIDENT_CLUSTER_BLOCK_DIGITS characters, none in a recalled batch, warn supervisors that the
# recall may need widening (incidents.selectors.clusters_outside_recalls).
INCIDENT_CLUSTER_MIN_UNITS = env.int("INCIDENT_CLUSTER_MIN_UNITS", default=3)
INCIDENT_CLUSTER_BLOCK_DIGITS = env.int("INCIDENT_CLUSTER_BLOCK_DIGITS", default=6)

# "Take next claim" holds the claim for its agent this long, renewed while they work on it.
REVIEW_HOLD_MINUTES = env.int("REVIEW_HOLD_MINUTES", default=15)
# From this many other open claims with the same e-mail or address, a new claim waits for an agent.
CLAIMS_PER_CONTACT_BEFORE_REVIEW = env.int("CLAIMS_PER_CONTACT_BEFORE_REVIEW", default=3)
# Serials this close in one range (number distance), claimed within a day by different contacts, hold
# both claims: a farmer's guesses run in sequence. 0 switches the rule off. On the generated day of
# bench/fraud.py, 2 held 2.2% of honest claims and 1 about half that, catching the same farms.
NEIGHBOURING_SERIAL_DISTANCE = env.int("NEIGHBOURING_SERIAL_DISTANCE", default=1)
# Each process adds its serial checks to the day's tally this often (seconds) and at exit: a process
# killed without exiting loses at most this long of its counts (reports/tallies.py).
SERIAL_CHECK_TALLY_SECONDS = env.float("SERIAL_CHECK_TALLY_SECONDS", default=5.0)
# Two images whose perceptual fingerprints differ in at most this many of 64 bits are one picture
# (re-saved, resized, a byte added). Up to 3 is found through the index (four 16-bit bands).
NEAR_DUPLICATE_IMAGE_DISTANCE = env.int("NEAR_DUPLICATE_IMAGE_DISTANCE", default=3)
# The serial on the label photo is read with Tesseract where it is installed (`make` installs it).
LABEL_READING_ENABLED = env.bool("LABEL_READING_ENABLED", default=True)
LABEL_READING_TIMEOUT_SECONDS = env.float("LABEL_READING_TIMEOUT_SECONDS", default=5.0)

# Customers' personal data is erased this long after their claim is closed (erase_personal_data).
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=730)

# --- Gift cards -----------------------------------------------------------------------------------
# The programme's own ledger issues the codes; an external provider, if any, hears of each one by an
# HMAC-signed webhook delivered from the outbox.
GIFT_CARD_WEBHOOK_URL = env.str("GIFT_CARD_WEBHOOK_URL", default="")
GIFT_CARD_WEBHOOK_SECRET = env.str("GIFT_CARD_WEBHOOK_SECRET", default="")
# The SMS provider: recall notices by SMS are posted to it by an HMAC-signed webhook (the outbox); its
# delivery receipts and bounces come back as CSV (``notice_events_import``). Without a URL, SMS notices
# wait in the outbox as failed for a supervisor.
SMS_WEBHOOK_URL = env.str("SMS_WEBHOOK_URL", default="")
# Recall notices are sent in batches of this many per task; a sender that died leaves its batch to
# another after this many seconds.
NOTICE_SEND_BATCH = env.int("NOTICE_SEND_BATCH", default=500)
NOTICE_SEND_LEASE_SECONDS = env.int("NOTICE_SEND_LEASE_SECONDS", default=300)
SMS_WEBHOOK_SECRET = env.str("SMS_WEBHOOK_SECRET", default="")

# --- Return kits ----------------------------------------------------------------------------------
# Where a market sends return kits by mail, a customer with no certified centre within this many
# kilometres of their city (or with a damaged or swollen unit) may order one. The kit provider hears of
# each order by an HMAC-signed webhook (the outbox) and takes the CSV of open orders
# (``return_kits_export``); its tracking numbers come back as CSV (``return_kits_import_tracking``).
RETURN_KIT_RADIUS_KM = env.float("RETURN_KIT_RADIUS_KM", default=50.0)
RETURN_KIT_WEBHOOK_URL = env.str("RETURN_KIT_WEBHOOK_URL", default="")
RETURN_KIT_WEBHOOK_SECRET = env.str("RETURN_KIT_WEBHOOK_SECRET", default="")
# A kit shipped this many days ago whose unit has not arrived is shown to agents.
RETURN_KIT_OVERDUE_DAYS = env.int("RETURN_KIT_OVERDUE_DAYS", default=21)


# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "serial_checks": env.str("THROTTLE_RATE_SERIAL_CHECKS", default="120/minute"),
        "claims": env.str("THROTTLE_RATE_CLAIMS", default="30/minute"),
        "incidents": env.str("THROTTLE_RATE_INCIDENTS", default="30/minute"),
        "public": env.str("THROTTLE_RATE_PUBLIC", default="600/minute"),
        "partner": env.str("THROTTLE_RATE_PARTNER", default="1200/minute"),
        "partner_auth_failures": env.str("THROTTLE_RATE_PARTNER_AUTH_FAILURES", default="10/minute"),
        # Status links e-mailed to one address (on top of the client's "claims" rate).
        "status_links": env.str("THROTTLE_RATE_STATUS_LINKS", default="3/hour"),
    },
    "NUM_PROXIES": _NUM_PROXIES,
    "UNAUTHENTICATED_USER": None,
    # No ?format= override: the API answers JSON (the voucher PNG), chosen by the Accept header alone.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Recall claims API",
    "DESCRIPTION": (
        "Public API of a product-recall programme: check a serial, submit and follow a claim, "
        "find a certified recycling centre; and the partner API for recycling centres."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from this server (no CDN), its setup script a file of its own: the CSP allows no inline script.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.apis.link_the_claims_operations",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "RemedyEnum": "recalls.models.Remedy",
        "DisposalConditionEnum": "disposal.models.DisposalConfirmation.Condition",
        "IncidentKindEnum": "incidents.models.Incident.Kind",
    },
}

# --- Logs and error reports ----------------------------------------------------------------------
# Decisions are logged as one line each with their fields (core.recovery.log_event): "plain" shows
# them as key=value, "json" (production's default) as keys of one JSON object per line.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        # Customers' names, e-mails and addresses stay here: no request bodies, no local variables.
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
    )
