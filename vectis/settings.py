"""Vectis settings: everything that differs between machines comes from the environment.

Embedded default (no variables set): SQLite file next to manage.py, Celery tasks run in-process,
rate limits in process memory. Production: set DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

import os
from pathlib import Path

import dj_database_url
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
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise one generated once and kept in a local file
    (fine for one machine; several web machines must share SECRET_KEY)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(os.environ.get("VECTIS_SECRET_KEY_FILE", BASE_DIR / ".secret_key"))
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        import secrets

        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
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
elif _db["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", False):
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 10),
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

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

from vectis.accounts.scopes import SCOPES  # noqa: E402

OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER = {
    "SCOPES": SCOPES,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("VECTIS_TOKEN_LIFETIME_SECONDS", 3600),
    "SCOPES_BACKEND_CLASS": "vectis.accounts.oauth.ApiClientScopes",
    "OAUTH2_BACKEND_CLASS": "vectis.accounts.oauth.JSONOrFormOAuthLibCore",
    "OAUTH2_VALIDATOR_CLASS": "vectis.accounts.oauth.VectisOAuth2Validator",
    # Store only the SHA-256 checksum of access tokens, never the token itself.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "PKCE_REQUIRED": False,
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
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["vectis.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "vectis.api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": [
        "vectis.api.filters.FilterBackend",
        "vectis.api.filters.SortFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "vectis.api.schema.VectisAutoSchema",
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

VECTIS_RATE_LIMIT_PER_MINUTE = env_int("VECTIS_RATE_LIMIT_PER_MINUTE", 100)
VECTIS_RATE_LIMIT_BURST = env_int("VECTIS_RATE_LIMIT_BURST", 200)
VECTIS_RATE_LIMIT_ENABLED = env_bool("VECTIS_RATE_LIMIT_ENABLED", True)
VECTIS_RATE_LIMIT_KEY_PREFIX = os.environ.get("VECTIS_RATE_LIMIT_KEY_PREFIX", "vectis:rl")
VECTIS_IDEMPOTENCY_TTL_SECONDS = env_int("VECTIS_IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
# An in-flight key whose request died (process killed) is taken over after this long.
VECTIS_IDEMPOTENCY_LOCK_SECONDS = env_int("VECTIS_IDEMPOTENCY_LOCK_SECONDS", 60)

SPECTACULAR_SETTINGS = {
    "TITLE": "Vectis OMS API",
    "DESCRIPTION": (
        "Order management: orders, stock per warehouse and bin, allocation, packages, returns "
        "and signed webhooks.\n\nAuthenticate with the OAuth 2.0 client-credentials flow at "
        "`POST /oauth/token`, then send `Authorization: Bearer <token>`. Each operation lists "
        "the scope it needs. Errors share one envelope: "
        '`{"error": {"code", "message", "field", "details", "request_id"}}`.'
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vectis.api.schema.postprocess_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProductTypeEnum": ["simple", "kit"],
        "TrackingEnum": ["none", "lot", "serial"],
    },
}

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
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- Webhooks -------------------------------------------------------------------------------
# Plain-http and private/loopback targets are for local development and tests only.
VECTIS_WEBHOOK_ALLOW_HTTP = env_bool("VECTIS_WEBHOOK_ALLOW_HTTP", False)
VECTIS_WEBHOOK_ALLOW_PRIVATE = env_bool("VECTIS_WEBHOOK_ALLOW_PRIVATE", False)
VECTIS_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("VECTIS_WEBHOOK_TIMEOUT_SECONDS", "10"))
VECTIS_WEBHOOK_DISABLE_AFTER_SECONDS = env_int("VECTIS_WEBHOOK_DISABLE_AFTER_SECONDS", 3 * 86400)
