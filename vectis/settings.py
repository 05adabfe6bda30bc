"""Vectis settings: everything that differs between machines comes from the environment.

Embedded default (no variables set): SQLite file next to manage.py, Celery tasks run in-process,
rate limits in process memory. Production: set DATABASE_URL (PostgreSQL) and REDIS_URL.

VECTIS_ENV (production | development) chooses the safe defaults: production (the default
once DATABASE_URL is set) wants a real SECRET_KEY and https (redirect, HSTS, secure cookies);
development (the default on the embedded SQLite) serves plain http. docs/operations.md lists
every variable.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from vectis import logs
from vectis.api.openapi_settings import OPENAPI_SETTINGS
from vectis.env import (
    check_fernet_keys,
    env_bool,
    env_choice,
    env_int,
    env_list,
    mode,
    proxy_ssl_header,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent


VECTIS_ENV = mode()
PRODUCTION = VECTIS_ENV == "production"
DEBUG = env_bool("DEBUG", False)


SECRET_KEY = secret_key(production=PRODUCTION, base_dir=BASE_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# --- HTTPS and headers ------------------------------------------------------------------------
# Production assumes https end to end (at a TLS-terminating proxy at least); development
# serves plain http on 127.0.0.1 and forces none of the https-only settings.
SECURE_SSL_REDIRECT = env_bool("VECTIS_SECURE_SSL_REDIRECT", PRODUCTION)
# Load-balancer probes often speak plain http to the backend (paths without the leading /).
SECURE_REDIRECT_EXEMPT = env_list("VECTIS_SECURE_REDIRECT_EXEMPT", r"^healthz$,^readyz$,^metrics$")
SECURE_HSTS_SECONDS = env_int("VECTIS_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured("VECTIS_HSTS_SECONDS must be 0 (off) or more")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("VECTIS_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
# `preload` only consents to browsers' HSTS preload lists (hstspreload.org); Django's deploy
# check asks for it. A domain that must stay reachable over http somewhere sets it false.
SECURE_HSTS_PRELOAD = env_bool("VECTIS_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("VECTIS_SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("VECTIS_CSRF_COOKIE_SECURE", PRODUCTION)
SESSION_COOKIE_HTTPONLY = env_bool("VECTIS_SESSION_COOKIE_HTTPONLY", True)
SECURE_CONTENT_TYPE_NOSNIFF = env_bool("VECTIS_CONTENT_TYPE_NOSNIFF", True)
# One policy or a comma-separated fallback list; the system checks refuse unknown values.
SECURE_REFERRER_POLICY = os.environ.get("VECTIS_REFERRER_POLICY") or "same-origin"
X_FRAME_OPTIONS = env_choice("VECTIS_X_FRAME_OPTIONS", "DENY", {"DENY", "SAMEORIGIN"})
SECURE_CROSS_ORIGIN_OPENER_POLICY = env_choice(
    "VECTIS_CROSS_ORIGIN_OPENER_POLICY",
    "same-origin",
    {"same-origin", "same-origin-allow-popups", "unsafe-none"},
)

# --- Reverse proxies ----------------------------------------------------------------------------


SECURE_PROXY_SSL_HEADER = proxy_ssl_header()
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
USE_X_FORWARDED_PORT = env_bool("USE_X_FORWARDED_PORT", False)
# How many reverse proxies append to X-Forwarded-For in front of Vectis: vectis.api.client_ip
# believes that many entries from the right, and none when 0.
VECTIS_TRUSTED_PROXY_COUNT = env_int("VECTIS_TRUSTED_PROXY_COUNT", 0)
if VECTIS_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("VECTIS_TRUSTED_PROXY_COUNT must be 0 or more")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "vectis.admin_site.VectisAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "vectis.accounts",
    "vectis.api",
    "catalog",
    "warehouses",
    "inventory",
    "orders",
    "returns",
    "webhooks",
]

MIDDLEWARE = [
    "vectis.api.middleware.RequestIdMiddleware",
    "vectis.api.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vectis.urls"
WSGI_APPLICATION = "vectis.wsgi.application"
# API paths are matched exactly; redirecting a POST to add a slash would lose its body.
APPEND_SLASH = False

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'vectis.sqlite3'}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
    # with "database is locked" half-way through a transaction.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    options = _db.setdefault("OPTIONS", {})
    # The session starts in UTC, so Django need not send set_config('TimeZone') on every
    # connection it takes from the pool.
    options.setdefault("options", "-c timezone=UTC")
    # Behind PgBouncer's transaction pooling a server-side cursor (QuerySet.iterator() outside
    # a transaction is declared WITH HOLD) would outlive the server connection it lives on.
    _db["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False)
    # Pooled connections by default in production (psycopg's pool, per process).
    if env_bool("DB_POOL", PRODUCTION):
        _db["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2),
            "max_size": env_int("DB_POOL_MAX_SIZE", 10),
            "timeout": env_int("DB_POOL_TIMEOUT_SECONDS", 10),
        }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and tasks -----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "vectis",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker every task runs in-process, right where it is queued.
CELERY_TASK_ALWAYS_EAGER = env_bool("VECTIS_TASKS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# A broker that does not answer must not hold requests: fail fast, and publish nothing for a
# few seconds after a failure (vectis/tasks.py); the sweeps queue what was skipped.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("VECTIS_BROKER_CONNECT_TIMEOUT_SECONDS", 2)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": env_int("VECTIS_BROKER_SOCKET_TIMEOUT_SECONDS", 5),
}
VECTIS_BROKER_BACKOFF_SECONDS = env_int("VECTIS_BROKER_BACKOFF_SECONDS", 5)
# Queues per kind of work, each with workers of its own in production (`celery -A vectis
# worker -Q allocation`, `-Q webhooks`, `-Q default`), so a webhook backlog (slow receivers)
# never delays allocation. A worker started without -Q consumes all three.
CELERY_TASK_QUEUES = [Queue("default"), Queue("allocation"), Queue("webhooks")]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "orders.*": {"queue": "allocation"},
    "webhooks.*": {"queue": "webhooks"},
}
# Threads running network-bound work (webhook deliveries) when tasks run in-process.
VECTIS_BACKGROUND_THREADS = env_int("VECTIS_BACKGROUND_THREADS", 2)
# Tests run that work inline instead, so it is done when the call returns.
VECTIS_BACKGROUND_INLINE = env_bool("VECTIS_BACKGROUND_INLINE", False)


def _every(name: str, default: int) -> float:
    seconds = env_int(name, default)
    if seconds < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1 (seconds).")
    return float(seconds)


# Allocations asked for (intake, release, item changes) whose task has not run after
# VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS are made by a sweep (a task lost while the broker was
# down, say).
VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS = env_int("VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS", 5)
# The dispatcher (`manage.py dispatch`) waits this long after a round that found nothing.
VECTIS_DISPATCH_IDLE_SECONDS = float(os.environ.get("VECTIS_DISPATCH_IDLE_SECONDS") or 0.2)
# ...and checks low stock of the levels changed since its last look this often.
VECTIS_DISPATCH_LOW_STOCK_SECONDS = env_int("VECTIS_DISPATCH_LOW_STOCK_SECONDS", 5)
CELERY_BEAT_SCHEDULE = {
    "webhooks-sweep": {
        "task": "webhooks.sweep",
        "schedule": _every("VECTIS_WEBHOOK_SWEEP_SECONDS", 15),
    },
    # What the dispatcher does continuously, for deployments that run none.
    "webhooks-relay": {"task": "webhooks.relay", "schedule": _every("VECTIS_RELAY_SECONDS", 2)},
    "inventory-expire-holds": {
        "task": "inventory.expire_holds",
        "schedule": _every("VECTIS_EXPIRE_HOLDS_SECONDS", 30),
    },
    "inventory-low-stock-sweep": {
        "task": "inventory.low_stock_sweep",
        "schedule": _every("VECTIS_LOW_STOCK_SWEEP_SECONDS", 60),
    },
    "orders-allocate-due": {
        "task": "orders.allocate_due",
        "schedule": _every("VECTIS_ALLOCATION_SWEEP_SECONDS", 10),
    },
    "orders-allocate-backorders": {
        "task": "orders.allocate_backorders",
        "schedule": _every("VECTIS_BACKORDER_SWEEP_SECONDS", 300),
    },
    "purge-expired-idempotency-keys": {
        "task": "vectis.api.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    "purge-expired-access-tokens": {
        "task": "vectis.accounts.tasks.purge_expired_tokens",
        "schedule": 6 * 3600.0,
    },
}

# The demo client's secret, kept between runs of seed_demo (`make run`) on this machine.
VECTIS_DEMO_CREDENTIALS_FILE = os.environ.get(
    "VECTIS_DEMO_CREDENTIALS_FILE", str(BASE_DIR / ".demo-credentials.json")
)

# --- Auth -----------------------------------------------------------------------------------
# Passwords and sessions by Django; what a staff user may do in an account, by their role there.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "vectis.accounts.roles.RoleBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # For API client secrets only (OAUTH2_PROVIDER CLIENT_SECRET_HASHER); never first.
    "vectis.accounts.hashers.ClientSecretHasher",
]
# Failed sign-ins at /oauth/token, per client id and per source address (see
# vectis/accounts/throttle.py); a limit of 0 switches the throttle off.
VECTIS_TOKEN_FAILURE_LIMIT = env_int("VECTIS_TOKEN_FAILURE_LIMIT", 20)
VECTIS_TOKEN_FAILURE_WINDOW_SECONDS = env_int("VECTIS_TOKEN_FAILURE_WINDOW_SECONDS", 60)
VECTIS_TOKEN_FAILURE_KEY_PREFIX = "vectis:tokenfail"  # noqa: S105 (a cache key prefix)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

from vectis.accounts.scopes import SCOPES  # noqa: E402

OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 (a model name)
OAUTH2_PROVIDER = {
    "SCOPES": SCOPES,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("VECTIS_TOKEN_LIFETIME_SECONDS", 3600),
    "SCOPES_BACKEND_CLASS": "vectis.accounts.oauth.ApiClientScopes",
    "OAUTH2_BACKEND_CLASS": "vectis.accounts.oauth.JSONOrFormOAuthLibCore",
    "OAUTH2_VALIDATOR_CLASS": "vectis.accounts.oauth.VectisOAuth2Validator",
    # Store only the SHA-256 checksum of access tokens, never the token itself.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Client secrets are random 288-bit strings: a fast salted HMAC (vectis/accounts/hashers.py)
    # rather than a slow password hash that would let failed sign-ins burn CPU.
    "CLIENT_SECRET_HASHER": "vectis_hmac_sha256",
    # Vectis offers the client-credentials grant only (no authorization, redirect or refresh
    # flow is routed). Everything RFC 9700 discourages is off, and the gates make a
    # regression an error of the deploy check rather than a warning.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "PKCE_REQUIRED": True,
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (served by whitenoise, also with DEBUG=false) -----------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from the apps' static folders when collectstatic has not been run.
WHITENOISE_USE_FINDERS = True

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["vectis.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["vectis.api.permissions.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["vectis.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["vectis.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "vectis.api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": [
        "vectis.api.filters.FilterBackend",
        "vectis.api.filters.SortFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "vectis.api.schema.VectisAutoSchema",
    "DEFAULT_METADATA_CLASS": "vectis.api.metadata.SchemaMetadata",
    "EXCEPTION_HANDLER": "vectis.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # `?format=` belongs to endpoints (labels: pdf, zpl, png), not to renderer selection.
    "URL_FORMAT_OVERRIDE": None,
}

# Request bodies may nest arrays and objects this deep (vectis/safejson.py); deeper is a 400.
VECTIS_JSON_MAX_DEPTH = env_int("VECTIS_JSON_MAX_DEPTH", 32)

# A verified access token is remembered this long per process (vectis/api/auth_cache.py);
# revocations still apply on the next request. 0 verifies every request against the database.
VECTIS_TOKEN_CACHE_SECONDS = env_int("VECTIS_TOKEN_CACHE_SECONDS", 60)
VECTIS_RATE_LIMIT_PER_MINUTE = env_int("VECTIS_RATE_LIMIT_PER_MINUTE", 100)
VECTIS_RATE_LIMIT_BURST = env_int("VECTIS_RATE_LIMIT_BURST", 200)
VECTIS_RATE_LIMIT_ENABLED = env_bool("VECTIS_RATE_LIMIT_ENABLED", True)
VECTIS_RATE_LIMIT_KEY_PREFIX = os.environ.get("VECTIS_RATE_LIMIT_KEY_PREFIX", "vectis:rl")
VECTIS_IDEMPOTENCY_TTL_SECONDS = env_int("VECTIS_IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
# An in-flight key whose request died (process killed) is taken over after this long.
VECTIS_IDEMPOTENCY_LOCK_SECONDS = env_int("VECTIS_IDEMPOTENCY_LOCK_SECONDS", 60)

# The OpenAPI schema drf-spectacular generates: title, description, hooks, enum names.
SPECTACULAR_SETTINGS = OPENAPI_SETTINGS

# --- Orders ---------------------------------------------------------------------------------------
# Chooses warehouses for an order's lines; see orders.services.allocation.plan_warehouses.
VECTIS_ALLOCATION_STRATEGY = os.environ.get(
    "VECTIS_ALLOCATION_STRATEGY", "orders.services.allocation.plan_warehouses"
)

# Carrier adapters by name (see orders/carriers/__init__.py).
VECTIS_CARRIERS = {
    "local": "orders.carriers.local.LocalCarrier",
    "manual": "orders.carriers.manual.ManualCarrier",
}
VECTIS_DEFAULT_CARRIER = os.environ.get("VECTIS_DEFAULT_CARRIER", "local")

# --- Logging --------------------------------------------------------------------------------
# Structured logs (vectis/logs.py): JSON lines in production, key=value lines in development.
VECTIS_LOG_FORMAT = os.environ.get("VECTIS_LOG_FORMAT") or ("json" if PRODUCTION else "console")
if VECTIS_LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured("VECTIS_LOG_FORMAT must be json or console.")
logs.configure()
LOGGING = logs.logging_config(VECTIS_LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO"))
# Celery workers log through LOGGING too (with the task's id and the request that queued it).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics (vectis/metrics.py) ----------------------------------------------------------------
# /metrics answers a bearer VECTIS_METRICS_TOKEN, or a client address in these networks.
VECTIS_METRICS_TOKEN = os.environ.get("VECTIS_METRICS_TOKEN", "")
VECTIS_METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(network, strict=False)
    for network in env_list("VECTIS_METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
]

# --- Webhooks -------------------------------------------------------------------------------
# Plain-http and private/loopback targets are for local development and tests only.
VECTIS_WEBHOOK_ALLOW_HTTP = env_bool("VECTIS_WEBHOOK_ALLOW_HTTP", False)
VECTIS_WEBHOOK_ALLOW_PRIVATE = env_bool("VECTIS_WEBHOOK_ALLOW_PRIVATE", False)
VECTIS_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("VECTIS_WEBHOOK_TIMEOUT_SECONDS", "10"))
VECTIS_WEBHOOK_DISABLE_AFTER_SECONDS = env_int("VECTIS_WEBHOOK_DISABLE_AFTER_SECONDS", 3 * 86400)
# A claimed attempt not finished after the timeout plus this grace counts as interrupted (its
# worker died); the sweep records it so and retries.
VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS = env_int("VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS", 30)
# Attempts a worker makes side by side (one delivery task carries up to 50).
VECTIS_WEBHOOK_DELIVERY_THREADS = env_int("VECTIS_WEBHOOK_DELIVERY_THREADS", 8)
# Retention (`manage.py prune`): deliveries that finished (succeeded, or failed for good) are
# deleted with their attempts this many days after they finished; never one still pending.
VECTIS_RETENTION_DELIVERIES_DAYS = env_int("VECTIS_RETENTION_DELIVERIES_DAYS", 30)
# ...and events this many days after they were written, once fanned out and no delivery is
# left of them. /v1/events and /v1/events/sync no longer show what was deleted.
VECTIS_RETENTION_EVENTS_DAYS = env_int("VECTIS_RETENTION_EVENTS_DAYS", 90)

# --- Encryption at rest (webhook signing secrets) ----------------------------------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt (see vectis/crypto.py).
VECTIS_ENCRYPTION_KEYS = env_list("VECTIS_ENCRYPTION_KEYS", "")


check_fernet_keys(VECTIS_ENCRYPTION_KEYS)
if PRODUCTION and not VECTIS_ENCRYPTION_KEYS:
    # A key derived from SECRET_KEY would make rotating SECRET_KEY lose every webhook secret,
    # and a shell without the variable would write rows the web processes cannot read.
    raise ImproperlyConfigured(
        "VECTIS_ENCRYPTION_KEYS must be set in production (a key from `python manage.py "
        "generate_encryption_key`; VECTIS_ENV=development for a local run)."
    )

# --- Request bodies ---------------------------------------------------------------------------
# API bodies above this size are answered 413 (see vectis/api/body.py).
VECTIS_MAX_BODY_BYTES = env_int("VECTIS_MAX_BODY_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = VECTIS_MAX_BODY_BYTES
# `read`: chunked bodies are read whole (behind gunicorn); `refuse`: answered 411.
VECTIS_CHUNKED_REQUESTS = os.environ.get("VECTIS_CHUNKED_REQUESTS", "read")
if VECTIS_CHUNKED_REQUESTS not in {"read", "refuse"}:
    raise ImproperlyConfigured("VECTIS_CHUNKED_REQUESTS must be read or refuse")
