"""Tandem settings: every value that differs between machines comes from the environment.

The embedded default (no variables set) is SQLite plus eager Celery, so `make demo` needs nothing
else. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Variables a production deployment must set (the defaults suit development only). The compose
# file passes each to web, worker and beat; tests/config/test_deploy_files.py holds it to that.
PRODUCTION_REQUIRED_ENV = (
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "TANDEM_BASE_URL",
)

DEBUG = env_bool("DEBUG", default=False)
_INSECURE_KEY = "django-insecure-tandem-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_KEY)
if not DEBUG and SECRET_KEY == _INSECURE_KEY and not env_bool("TANDEM_ALLOW_INSECURE_KEY"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (or set DEBUG=true for local development)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: no CDN
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "surveys",
    "responses",
    "dashboards",
]

MIDDLEWARE = [
    # Outermost: it releases API responses once every other middleware is done with them.
    "config.middleware.ApiResponseReleaseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.audit.ApiAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Overridden only by the benchmark server (benchmarks/bench_urls.py adds its baseline view).
ROOT_URLCONF = env_str("ROOT_URLCONF", "config.urls")
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "surveys.context_processors.membership",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Long-lived SQLite connections only add locking trouble; WAL lets readers and a writer mix.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
IS_POSTGRES = "postgresql" in DATABASES["default"]["ENGINE"]
if IS_POSTGRES:
    # Django's backend with a health check that needs no round trip on a busy connection, and
    # prepared statements for the hand-written SQL of every request (config.postgresql). Behind
    # a pooler that shares sessions between clients (PgBouncer in transaction mode), set
    # TANDEM_DB_PREPARE=false: a prepared statement belongs to one session.
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"]["PREPARE"] = env_bool("TANDEM_DB_PREPARE", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
if CACHE_URL and not CACHE_URL.startswith("locmem"):
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "tandem"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection after every task unless this is set
# (then after every N tasks): a new connection per scoring task cost more than the task's own
# queries. Between tasks, config.celery applies CONN_MAX_AGE and the health check instead, as
# Django does between web requests.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# A submission must never hang on a dead broker: give up on publishing quickly, the reconcile
# task picks the response up later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 1,
    "interval_start": 0,  # retry at once: kombu's default 2 s wait would stall the request
    # A message taken by a worker that then died (acks_late: never acknowledged) goes back to the
    # queue once it is this old, when a worker starts or sweeps; keep it above the longest task.
    "visibility_timeout": env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 3600),
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks (the database scheduler copies these in at start). One entry per task.
CELERY_BEAT_SCHEDULE = {
    "outbox-flush": {"task": "dashboards.alerting.tasks.outbox_flush", "schedule": 60.0},
    # Alert rules on every survey that has some (a cycle can finish without a new response).
    "alert-rules-sweep": {
        "task": "dashboards.alerting.tasks.alert_rules_sweep",
        "schedule": 3600.0,
    },
    # Opens due pulse rounds, sends their invitations and scheduled reminders (idempotent).
    "pulses-tick": {"task": "surveys.tasks.pulses_tick", "schedule": 300.0},
}
CELERY_TIMEZONE = "UTC"

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_ENGINE = "config.sessions"  # Django's database sessions, read by hand-written SQL
# Django's ModelBackend with the signed-in user read by hand-written SQL (sessions signed in
# with ModelBackend are moved to it by surveys' migration 0009).
AUTHENTICATION_BACKENDS = ["config.sessions.UserBackend"]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
LOGIN_RATE_LIMIT = env_int("TANDEM_LOGIN_RATE_LIMIT", 10)  # failed attempts per 15 minutes

# --- I18N ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("TANDEM_PLAIN_STATIC")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "media"

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# For the filebased backend (a directory; one file per batch of emails), e.g. a staging box.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")
TANDEM_BASE_URL = env_str("TANDEM_BASE_URL", "http://127.0.0.1:8000")

# --- Security -----------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a call without credentials gets 401 with `WWW-Authenticate: Token` (DRF names
    # the first class there), not a 403. Browser sessions still work, CSRF checks included.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.MemberTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",  # drf-spectacular's, with the errors
    "DEFAULT_PARSER_CLASSES": [
        "config.api.JSONParser",  # DRF's, with too-deep nesting answered 400 instead of 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env_str("TANDEM_API_THROTTLE", "3000/min"),
    },
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "config.renderers.JSONRenderer",  # DRF's, encoding with orjson (same bytes)
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": "Employee and customer experience feedback, one program.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies are documented as JSON only: answers, questions and teams are nested lists,
    # which a form body cannot carry (forms are still parsed, for the browsable API).
    "PARSER_WHITELIST": ["config.api.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default
        "config.schema.nullable_refs",
    ],
    # "kind" means ex/cx on surveys and alerts but email/webhook on deliveries: name them apart.
    "ENUM_NAME_OVERRIDES": {
        "SurveyKindEnum": "surveys.models.SurveyKind",
        "SurveyKindValuesEnum": ["ex", "cx"],
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Tandem -------------------------------------------------------------------------------
TANDEM_ANONYMITY_THRESHOLD = max(3, env_int("TANDEM_ANONYMITY_THRESHOLD", 5))
TANDEM_PUBLIC_RATE_LIMIT = env_int("TANDEM_PUBLIC_RATE_LIMIT", 30)  # submissions / IP / 10 min
TANDEM_RECONCILE_SECONDS = env_int("TANDEM_RECONCILE_SECONDS", 120)
# A scoring task waits until its response is this many milliseconds old before it lists its
# survey's backlog: responses arriving meanwhile join it instead of queueing tasks of their own.
TANDEM_SCORING_GATHER_MS = env_int("TANDEM_SCORING_GATHER_MS", 300)
# Dashboard pages and scores API answers are kept in the cache until their organisation's
# results change (dashboards.results_cache), at most this many seconds; 0 keeps none.
TANDEM_RESULTS_CACHE_SECONDS = env_int("TANDEM_RESULTS_CACHE_SECONDS", 600)
# After a scored batch the worker computes again the pages viewed in the last hour, the most
# recent first, at most this many per organisation (dashboards.refresh); 0 computes none ahead.
TANDEM_RESULTS_REFRESH_PAGES = env_int("TANDEM_RESULTS_REFRESH_PAGES", 20)
# ... at most once in this many seconds per organisation; a sweep this often catches up with the
# batches scored in between.
TANDEM_RESULTS_REFRESH_SECONDS = max(1, env_int("TANDEM_RESULTS_REFRESH_SECONDS", 30))
# While workers compute pages ahead, a page out of date only by scored batches is served for
# up to this many seconds after it was computed (the worker's refresh replaces it meanwhile), so
# a busy survey's pages stay kept; changes to teams, people, surveys or alerts show at once.
TANDEM_RESULTS_STALE_SECONDS = env_int("TANDEM_RESULTS_STALE_SECONDS", 60)
CELERY_BEAT_SCHEDULE["results-refresh-sweep"] = {
    "task": "dashboards.tasks.results_refresh_sweep",
    "schedule": float(TANDEM_RESULTS_REFRESH_SECONDS),
}
# Web processes collect garbage every this many allocations, not CPython's 700 (config.memory).
TANDEM_GC_THRESHOLD = max(700, env_int("TANDEM_GC_THRESHOLD", 10_000))
# Scores responses left unscored (e.g. the broker was down when they were stored).
CELERY_BEAT_SCHEDULE["scores-reconcile"] = {
    "task": "dashboards.tasks.scores_reconcile",
    "schedule": float(TANDEM_RECONCILE_SECONDS),
}
TANDEM_TRUST_X_FORWARDED_FOR = env_bool("TANDEM_TRUST_X_FORWARDED_FOR")
# Deletes responses past each organisation's retention period (surveys.privacy), at night.
CELERY_BEAT_SCHEDULE["retention-purge"] = {
    "task": "surveys.tasks_privacy.retention_purge",
    "schedule": crontab(hour=2, minute=30),
}
# Outbox deliveries (alert emails, webhooks): retries back off from this delay, doubling each time.
TANDEM_OUTBOX_MAX_ATTEMPTS = env_int("TANDEM_OUTBOX_MAX_ATTEMPTS", 10)
TANDEM_OUTBOX_BACKOFF_SECONDS = env_int("TANDEM_OUTBOX_BACKOFF_SECONDS", 60)
TANDEM_WEBHOOK_TIMEOUT = env_int("TANDEM_WEBHOOK_TIMEOUT", 5)
# Webhooks to loopback, private and link-local addresses (dashboards.alerting.targets): refused
# unless allowed here (an intranet receiver); allowed in development.
TANDEM_WEBHOOK_PRIVATE_TARGETS = env_bool("TANDEM_WEBHOOK_PRIVATE_TARGETS", DEBUG)

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_JSON = env_bool("LOG_JSON")
# Let Celery workers log through LOGGING below (JSON lines too) instead of their own setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = not LOG_JSON
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "filters": {
        "client_mistake": {"()": "config.logging.ClientMistake"},
        "client_error": {"()": "config.logging.ClientError"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_JSON else "plain"}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A 403 or 404 is logged as a WARNING with its reason, without a traceback.
        "django.request": {"filters": ["client_error"]},
        # A form over DATA_UPLOAD_MAX_MEMORY_SIZE (the 413 page) is the client's mistake.
        "django.security.RequestDataTooBig": {"filters": ["client_mistake"]},
        "django.security.TooManyFieldsSent": {"filters": ["client_mistake"]},
        "django.security.TooManyFilesSent": {"filters": ["client_mistake"]},
    },
}

# The rollups' unique grain (NULLS NOT DISTINCT) exists on PostgreSQL 15+ only; elsewhere Django
# skips it and warns (models.W047), and scoring recomputes buckets instead of adding to them
# (dashboards.scoring.counts_addable).
SILENCED_SYSTEM_CHECKS: list[str] = ["models.W047"]
