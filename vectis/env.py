"""Reading the environment for vectis.settings: typed values, and the checks that refuse a
misconfiguration at start-up (ImproperlyConfigured) instead of failing later."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


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


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(sorted(choices))}, got {value!r}"
        )
    return value


def mode() -> str:
    """`production` or `development`; by default production as soon as a database is
    configured, development on the embedded SQLite default."""
    value = os.environ.get("VECTIS_ENV", "").strip().lower()
    if not value:
        return "production" if os.environ.get("DATABASE_URL") else "development"
    if value not in {"production", "development"}:
        raise ImproperlyConfigured(
            f"VECTIS_ENV must be production or development, got {os.environ['VECTIS_ENV']!r}"
        )
    return value


def secret_key(*, production: bool, base_dir: Path) -> str:
    """Production: SECRET_KEY from the environment, shared by every web and worker process.
    Development: that, or one generated once and kept in a local file."""
    key = os.environ.get("SECRET_KEY", "")
    if production:
        _check_production_secret_key(key)
        return key
    if key:
        return key
    path = Path(os.environ.get("VECTIS_SECRET_KEY_FILE", base_dir / ".secret_key"))
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        import secrets

        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


def _check_production_secret_key(key: str) -> None:
    # The same bar as Django's security.W009, as an error: a weak key signs sessions and
    # password-reset links.
    hint = (
        "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'. "
        "(VECTIS_ENV=production is the default once DATABASE_URL is set; set "
        "VECTIS_ENV=development for a local run.)"
    )
    if not key:
        raise ImproperlyConfigured(f"SECRET_KEY must be set in production. {hint}")
    if key.startswith("django-insecure"):
        raise ImproperlyConfigured(f"SECRET_KEY must not be a django-insecure key. {hint}")
    if len(key) < 50 or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be at least 50 characters with at least 5 different ones "
            f"(got {len(key)}). {hint}"
        )


def proxy_ssl_header() -> tuple[str, str] | None:
    """`HTTP_X_FORWARDED_PROTO,https` (or `X-Forwarded-Proto,https`): the header a TLS proxy
    sets, and its value on https requests. Only set it when every request comes through a
    proxy that overwrites the header: otherwise clients could claim https themselves."""
    value = os.environ.get("VECTIS_SECURE_PROXY_SSL_HEADER", "").strip()
    if not value:
        return None
    header, _, expected = (part.strip() for part in value.partition(","))
    if not header or not expected or "," in expected:
        raise ImproperlyConfigured(
            "VECTIS_SECURE_PROXY_SSL_HEADER must be HEADER,VALUE such as "
            f"HTTP_X_FORWARDED_PROTO,https; got {value!r}"
        )
    header = header.upper().replace("-", "_")
    if not header.startswith("HTTP_"):
        header = f"HTTP_{header}"
    return header, expected


def check_fernet_keys(keys: list[str]) -> None:
    from cryptography.fernet import Fernet

    for key in keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                "VECTIS_ENCRYPTION_KEYS must be Fernet keys (python manage.py "
                "generate_encryption_key), comma-separated."
            ) from exc
