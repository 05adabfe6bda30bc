"""Production and development settings, each read by a fresh interpreter from its environment
(settings are evaluated once per process, so a subprocess is the honest way to test them)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Variables of the outer test run that would leak into the child's settings.
OWN = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "USE_X_FORWARDED_HOST",
    "USE_X_FORWARDED_PORT",
}
STRONG_KEY = secrets.token_urlsafe(60)
SHOWN = [
    "VECTIS_ENV",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_PROXY_SSL_HEADER",
    "USE_X_FORWARDED_HOST",
    "USE_X_FORWARDED_PORT",
    "CSRF_TRUSTED_ORIGINS",
    "VECTIS_TRUSTED_PROXY_COUNT",
]
PRINT_SETTINGS = f"""
import json, django
from django.conf import settings
django.setup()
print(json.dumps({{name: getattr(settings, name, None) for name in {SHOWN!r}}}))
"""


def _env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VECTIS_", "DJANGO_", "PYTEST", "SECURE_")) and k not in OWN
    }
    env["DJANGO_SETTINGS_MODULE"] = "vectis.settings"
    # Never the developer's .secret_key next to manage.py.
    env["VECTIS_SECRET_KEY_FILE"] = str(tmp_path / "secret_key")
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _production(tmp_path, **overrides) -> dict[str, str]:
    production = {
        "VECTIS_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "VECTIS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    return _env(tmp_path, **{**production, **overrides})


def _python(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings(env) -> dict:
    result = _python(env, "-c", PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_is_clean_in_production(tmp_path):
    # when
    result = _python(
        _production(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    # then
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output


def test_production_defaults(tmp_path):
    values = _settings(_production(tmp_path))
    assert values == {
        "VECTIS_ENV": "production",
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": [r"^healthz$", r"^readyz$", r"^metrics$"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_PROXY_SSL_HEADER": None,
        "USE_X_FORWARDED_HOST": False,
        "USE_X_FORWARDED_PORT": False,
        "CSRF_TRUSTED_ORIGINS": [],
        "VECTIS_TRUSTED_PROXY_COUNT": 0,
    }


def test_production_reads_every_override(tmp_path):
    values = _settings(
        _production(
            tmp_path,
            VECTIS_SECURE_SSL_REDIRECT="false",
            VECTIS_SECURE_REDIRECT_EXEMPT=r"^healthz$,^internal/",
            VECTIS_HSTS_SECONDS="3600",
            VECTIS_HSTS_INCLUDE_SUBDOMAINS="false",
            VECTIS_HSTS_PRELOAD="false",
            VECTIS_SESSION_COOKIE_SECURE="false",
            VECTIS_SESSION_COOKIE_HTTPONLY="false",
            VECTIS_CSRF_COOKIE_SECURE="false",
            VECTIS_CONTENT_TYPE_NOSNIFF="false",
            VECTIS_REFERRER_POLICY="no-referrer,strict-origin",
            VECTIS_X_FRAME_OPTIONS="SAMEORIGIN",
            VECTIS_CROSS_ORIGIN_OPENER_POLICY="same-origin-allow-popups",
            VECTIS_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
            USE_X_FORWARDED_HOST="true",
            USE_X_FORWARDED_PORT="1",
            CSRF_TRUSTED_ORIGINS="https://oms.example.com,https://admin.example.com",
            VECTIS_TRUSTED_PROXY_COUNT="2",
        )
    )
    assert values == {
        "VECTIS_ENV": "production",
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_REDIRECT_EXEMPT": [r"^healthz$", r"^internal/"],
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_HTTPONLY": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_CONTENT_TYPE_NOSNIFF": False,
        "SECURE_REFERRER_POLICY": "no-referrer,strict-origin",
        "X_FRAME_OPTIONS": "SAMEORIGIN",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin-allow-popups",
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "USE_X_FORWARDED_HOST": True,
        "USE_X_FORWARDED_PORT": True,
        "CSRF_TRUSTED_ORIGINS": ["https://oms.example.com", "https://admin.example.com"],
        "VECTIS_TRUSTED_PROXY_COUNT": 2,
    }


def test_proxy_header_may_be_given_as_the_http_header_name(tmp_path):
    values = _settings(
        _production(tmp_path, VECTIS_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto, https")
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_development_forces_no_https_only_setting(tmp_path):
    # given no DATABASE_URL (the embedded SQLite default) and no VECTIS_ENV
    values = _settings(_env(tmp_path))
    assert values["VECTIS_ENV"] == "development"
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    # headers that cost nothing over http stay on
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_mode_defaults_to_production_when_a_database_is_configured(tmp_path):
    env = _env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SECRET_KEY=STRONG_KEY,
        VECTIS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    assert _settings(env)["VECTIS_ENV"] == "production"
    env["VECTIS_ENV"] = "development"
    assert _settings(env)["SECURE_SSL_REDIRECT"] is False


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"VECTIS_ENV": "staging"}, "VECTIS_ENV must be production or development"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "at least 50 characters"),
        ({"SECRET_KEY": "a" * 60}, "at least 50 characters"),
        ({"SECRET_KEY": "django-insecure-" + STRONG_KEY}, "django-insecure"),
        ({"VECTIS_ENCRYPTION_KEYS": None}, "VECTIS_ENCRYPTION_KEYS must be set in production"),
        ({"VECTIS_ENCRYPTION_KEYS": "not-a-key"}, "VECTIS_ENCRYPTION_KEYS must be Fernet keys"),
        ({"VECTIS_HSTS_SECONDS": "a year"}, "VECTIS_HSTS_SECONDS must be an integer"),
        ({"VECTIS_HSTS_SECONDS": "-1"}, "VECTIS_HSTS_SECONDS"),
        ({"VECTIS_SECURE_SSL_REDIRECT": "maybe"}, "VECTIS_SECURE_SSL_REDIRECT must be a boolean"),
        ({"VECTIS_SECURE_PROXY_SSL_HEADER": "https"}, "VECTIS_SECURE_PROXY_SSL_HEADER"),
        ({"VECTIS_TRUSTED_PROXY_COUNT": "-1"}, "VECTIS_TRUSTED_PROXY_COUNT"),
        ({"VECTIS_X_FRAME_OPTIONS": "ALLOWALL"}, "VECTIS_X_FRAME_OPTIONS"),
    ],
)
def test_production_refuses_to_start_misconfigured(tmp_path, overrides, message):
    result = _python(_production(tmp_path, **overrides), "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


PRODUCTION_REQUESTS = """
import json, django
django.setup()
from django.test import Client
client = Client()
out = {}
for name, path, extra in [
    ("api", "/v1/warehouses", {}),
    ("health", "/healthz", {}),
    ("ready", "/readyz", {}),
    ("proxied", "/v1/warehouses", {"HTTP_X_FORWARDED_PROTO": "https"}),
]:
    response = client.get(path, **extra)
    out[name] = [response.status_code, response.headers.get("Location"),
                 response.headers.get("Strict-Transport-Security")]
print(json.dumps(out))
"""


def test_production_redirects_http_but_not_health_checks(tmp_path):
    env = _production(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        VECTIS_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
    )
    result = _python(env, "-c", PRODUCTION_REQUESTS)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["api"] == [301, "https://testserver/v1/warehouses", None]
    assert out["health"][:2] == [200, None]
    assert out["ready"][:2] == [503, None]  # a new database: migrations pending, not redirected
    # behind the TLS proxy: no redirect (401 without a token), and HSTS
    assert out["proxied"] == [401, None, "max-age=31536000; includeSubDomains; preload"]


def test_development_serves_plain_http(client):
    # the test run itself is development mode, over http
    response = client.get("/v1/warehouses")
    assert response.status_code == 401
    assert "Strict-Transport-Security" not in response.headers
