"""Settings for the claim tracker: one module, configured by environment variables.

Local use needs no variables at all (SQLite file, DEBUG on, a throwaway key). Production
sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; see the README for the list.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name, "")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name, "")
    if raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (
    SECRET_KEY == _DEV_SECRET_KEY
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure-")
):
    # Django's own check only warns; a production process must refuse to start instead.
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "reviews.apps.DeskAdminConfig",  # django.contrib.admin with the desk's start page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "csp",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "tracker",
    "claims",
    "reviews",
    "api",
    "public",
    "webhooks",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviews.context_processors.unread_notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a writer holds the lock; IMMEDIATE makes a write
    # transaction take the lock at BEGIN, so two writers queue instead of deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# A read replica for the public feed; see tracker/routers.py.
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(env_str("DATABASE_REPLICA_URL"), conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["tracker.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {
            # Falls back to process memory while Redis is unreachable (see tracker/cache.py).
            "BACKEND": "tracker.cache.ResilientRedisCache",
            "LOCATION": env_str("REDIS_URL"),
        }
        if env_str("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tracker"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Revokes the user's API tokens whenever a password changes (see there why it is a validator).
    {"NAME": "api.authentication.RevokeTokensOnPasswordChange"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security: on whenever DEBUG is off, so `check --deploy` passes in production mode. Each one can
# be switched off on its own, e.g. for a staging host on a name that must not be HSTS-preloaded.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, fonts and fetches from this origin only.
# No page has inline script or style: the public site, the admin's own pages and the API docs
# (Swagger UI's start script is served as a file) load theirs from static files. `data:` images
# are Swagger UI's icons and the public site's empty favicon.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Permissions-Policy (django-permissions-policy): no page uses any of these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
    ]
}
# TLS ends at a proxy that says so in a header (X-Forwarded-Proto: https). Only behind a proxy
# that sets it on every request and strips a client's own: otherwise anyone could claim https.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    _proxy_header = env_str("PROXY_SSL_HEADER", "X-Forwarded-Proto")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

# Request bodies: the API refuses anything larger with a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1_000_000)

LOGIN_URL = "admin:login"

# --- The desk's own settings -------------------------------------------------------
# Largest source document import_documents accepts, in bytes.
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 2_000_000)
# Adding a document by URL (claims/fetch.py): whole-fetch timeout, largest page, and whether
# private, loopback and link-local addresses may be fetched (off: editors' URLs must not
# reach the machine's own network; the tests turn it on to serve pages from 127.0.0.1).
FETCH_TIMEOUT_SECONDS = env_int("FETCH_TIMEOUT_SECONDS", 10)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 5_000_000)
FETCH_ALLOW_PRIVATE = env_bool("FETCH_ALLOW_PRIVATE", False)
# Claim matching (claims/matching.py), cosine similarity 0..1: candidates are suggested at or
# above the first, and called "likely the same claim" (creating one warns) at or above the second.
# Measured on the curated set with `manage.py evaluate_matching`.
MATCH_SUGGEST_THRESHOLD = env_float("MATCH_SUGGEST_THRESHOLD", 0.44)
MATCH_LIKELY_THRESHOLD = env_float("MATCH_LIKELY_THRESHOLD", 0.7)
# Where the worker stores the built matcher index for every process (claims/matching.py), and how
# it refreshes: "background" (a task after each write to claims or appearances) or "inline" (the
# request that first sees a write rebuilds it; for setups without a worker).
MATCH_INDEX_DIR = Path(env_str("MATCH_INDEX_DIR", str(BASE_DIR / "var" / "match-index")))
MATCH_INDEX_REFRESH = env_str("MATCH_INDEX_REFRESH", "background")
if MATCH_INDEX_REFRESH not in ("background", "inline"):
    raise ImproperlyConfigured("MATCH_INDEX_REFRESH must be 'background' or 'inline'")
# Independent reviews needed before a claim counts as reviewed.
REVIEWS_REQUIRED = env_int("REVIEWS_REQUIRED", 2)
# Notifications by e-mail (reviews/notifications.py), sent by the task worker: printed to the
# console locally, SMTP in production (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "claim-tracker@localhost")
# Days a reviewer has for a review, by default; the editor may pick another date when assigning.
ASSIGNMENT_DUE_DAYS = env_int("ASSIGNMENT_DUE_DAYS", 7)

# Called by claims.services.document_reanchor, in its transaction, with the report of a new
# document version: how the apps above claims (which claims may not import) take part.
REANCHOR_EXTENSIONS = ["reviews.rechecks.reanchor_evidence_and_open_rechecks"]
# Called by claims.services.claim_merge with both claims locked, before anything moves: the rules
# of the apps above claims (reviews refuses to merge two published verdicts that disagree).
MERGE_CHECKS = ["reviews.services.check_merge_verdicts"]

# Days after publication (or correction) when a verdict is due for a re-check, by claim kind:
# a contract's status changes sooner than what someone once said.
RECHECK_AFTER_DAYS = {
    "contract": env_int("RECHECK_CONTRACT_DAYS", 90),
    "wage": env_int("RECHECK_WAGE_DAYS", 180),
    "quantity": env_int("RECHECK_QUANTITY_DAYS", 180),
    "event": env_int("RECHECK_EVENT_DAYS", 365),
    "knowledge": env_int("RECHECK_KNOWLEDGE_DAYS", 365),
    "other": env_int("RECHECK_OTHER_DAYS", 365),
}
# The organisation that publishes the verdicts (ClaimReview author, Atom author) and its public
# site (ClaimReview urls, Atom links and tag: ids, the sitemap). Required with DEBUG off: a
# deploy check error (api/checks.py) rather than a local address in every partner's copy.
PUBLISHER_NAME = env_str("PUBLISHER_NAME", "The Claim Tracker Desk" if DEBUG else "")
PUBLISHER_URL = env_str("PUBLISHER_URL", "http://127.0.0.1:8000" if DEBUG else "")
# The date in the Atom feed's tag: ids (RFC 4151): a day on which the publisher held PUBLISHER_URL's
# host. Never change it once the feed is public: every entry id would change with it.
ATOM_TAG_DATE = env_str("ATOM_TAG_DATE", "2026-01-01")
if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", ATOM_TAG_DATE):
    raise ImproperlyConfigured(f"ATOM_TAG_DATE must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {ATOM_TAG_DATE!r}")
# Assumptions used to convert pay figures between periods (shown beside every conversion).
WAGE_HOURS_PER_DAY = env_int("WAGE_HOURS_PER_DAY", 8)
WAGE_DAYS_PER_WEEK = env_int("WAGE_DAYS_PER_WEEK", 5)
WAGE_DAYS_PER_MONTH = env_int("WAGE_DAYS_PER_MONTH", 22)
# Failed logins (API and admin) allowed per username and per address within the window (seconds).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
# Local demo accounts are created by `make run` only; never when DEBUG is off.
DEMO_ACCOUNTS = env_bool("DEMO_ACCOUNTS", DEBUG)

# Webhooks (webhooks/): the task queue that sends them, and how they are sent.
# django-tasks' database backend: the queue is a table, so SQLite locally and PostgreSQL in
# production both work, and `manage.py db_worker` processes on any number of machines share it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Seconds to wait for a partner's response; a slower one counts as a failed attempt.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# How long a worker owns a delivery it is sending; after that another worker sends it again.
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 60)
if WEBHOOK_LEASE_SECONDS <= WEBHOOK_TIMEOUT_SECONDS:
    raise ImproperlyConfigured("WEBHOOK_LEASE_SECONDS must be longer than WEBHOOK_TIMEOUT_SECONDS")
# Waits after each failed attempt (seconds); after the last one the delivery is marked failed.
WEBHOOK_RETRY_SCHEDULE = [int(s) for s in env_list("WEBHOOK_RETRY_SCHEDULE", ["5", "30", "120", "600", "3600"])]
# Private, loopback and reserved addresses are refused as endpoints unless this is on (local use).
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", DEBUG)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.openapi.ApiSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "tracker.throttling.AnonRateThrottle",
        "tracker.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "600/minute"),
        "user": env_str("THROTTLE_USER", "3000/minute"),
    },
    "UNICODE_JSON": True,
    "EXCEPTION_HANDLER": "api.base.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["api.base.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.base.JSONParser"],
}
# How long a rendered API page stays in the cache. Keys include the change log's position
# (api/clock.py), so any write makes new keys at once; this only bounds how long dead entries linger.
API_CACHE_SECONDS = env_int("API_CACHE_SECONDS", 300)
# Cache-Control of public API responses: how long shared caches may serve a page without asking
# (short: readers see a write within it), and how much longer they may serve it while revalidating.
API_MAX_AGE = env_int("API_MAX_AGE", 10)
API_STALE_WHILE_REVALIDATE = env_int("API_STALE_WHILE_REVALIDATE", 30)

REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", 30)),
    "AUTO_REFRESH": False,
    # Live tokens per user; one more login is refused (403) until one is revoked or expires.
    "TOKEN_LIMIT_PER_USER": env_int("API_TOKEN_LIMIT", 10),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Claim tracker API",
    "DESCRIPTION": "Published fact-check verdicts, their evidence, and the desk's write API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # OpenAPI links from a response to the requests that use its ids (api/links.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.links.add_links"],
    "ENUM_NAME_OVERRIDES": {
        "ClaimKindEnum": "claims.models.Claim.Kind",
        "EntityKindEnum": "claims.models.Entity.Kind",
        "VerdictKindEnum": "reviews.models.Verdict.Kind",
        "ClaimStatusEnum": "claims.models.Claim.Status",
        "ChangeKindEnum": "claims.models.Change.Kind",
        "ContractStatusEnum": "claims.models.ContractStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO" if not DEBUG else "WARNING")},
}
