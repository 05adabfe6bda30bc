""".env.example names every variable the settings read, with no real secret in it; the compose
file parses and runs the services docs/operations.md describes.

The variable names are found by scanning the source (the calls that read the environment), so a
new setting without its line in .env.example fails here."""

import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from vectis.env import _check_production_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV_EXAMPLE = BASE_DIR / ".env.example"
COMPOSE = BASE_DIR / "deploy" / "docker-compose.yml"
# The files whose environment reads .env.example must cover.
SOURCES = ["vectis/settings.py", "vectis/env.py", "deploy/gunicorn.conf.py"]
# os.environ["X"], os.environ.get("X"), env_int("X", …) and the like, _every("X", …) in the
# settings and _int("X", …) in the gunicorn configuration; the name may sit on the next line.
READ = re.compile(
    r"""(?:os\.environ(?:\.get)?\s*[\[(]|\benv_(?:bool|int|list|choice)\s*\(|\b_every\s*\(|"""
    r"""\b_int\s*\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)
# `NAME=value`, or `# NAME=value` for an optional one shown with its default.
LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
SERVICES = {
    "postgres",
    "replica",
    "pgbouncer",
    "redis",
    "migrate",
    "web",
    "dispatcher",
    "worker-allocation",
    "worker-webhooks",
    "worker-default",
    "beat",
}
APP_SERVICES = SERVICES - {"postgres", "replica", "pgbouncer", "redis"}


def read_in_source() -> set[str]:
    names = set()
    for source in SOURCES:
        names |= set(READ.findall((BASE_DIR / source).read_text()))
    return names


def example() -> tuple[dict[str, str], set[str]]:
    """The set lines (name → value) and the names of the commented-out optional ones."""
    values, optional = {}, set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = LINE.match(line.strip())
        if not match:
            continue
        commented, name, value = match.groups()
        if commented:
            optional.add(name)
        else:
            assert name not in values, f"{name} is set twice in .env.example"
            values[name] = value
    return values, optional


def test_the_scan_finds_the_variables_it_must():
    # given the settings, env.py and the gunicorn configuration
    # when they are scanned
    names = read_in_source()
    # then the scan sees reads of every shape, across line breaks too (or it proves nothing)
    assert {
        "DATABASE_URL",  # os.environ.get
        "VECTIS_ENV",  # env.mode()
        "DEBUG",  # env_bool
        "DB_POOL_MAX_SIZE",  # env_int
        "ALLOWED_HOSTS",  # env_list
        "VECTIS_X_FRAME_OPTIONS",  # env_choice
        "VECTIS_CROSS_ORIGIN_OPENER_POLICY",  # env_choice, name on the next line
        "VECTIS_DEMO_CREDENTIALS_FILE",  # os.environ.get, name on the next line
        "VECTIS_WEBHOOK_SWEEP_SECONDS",  # _every
        "VECTIS_WEB_WORKERS",  # gunicorn's _int
        "VECTIS_WEB_BIND",  # gunicorn's os.environ.get
        "PROMETHEUS_MULTIPROC_DIR",
    } <= names
    assert len(names) > 80


def test_every_variable_the_settings_read_is_in_env_example():
    # given the variables read in the source and the lines of .env.example
    names = read_in_source()
    values, optional = example()
    # then none is missing
    missing = sorted(names - set(values) - optional)
    assert missing == [], f"add these to .env.example: {', '.join(missing)}"


def test_env_example_holds_placeholders_never_secrets():
    # given the values .env.example sets
    values, _ = example()
    # then the secrets are placeholders that production refuses to start with
    with pytest.raises(ImproperlyConfigured):
        _check_production_secret_key(values["SECRET_KEY"])
    for key in values["VECTIS_ENCRYPTION_KEYS"].split(","):
        with pytest.raises(ValueError):
            Fernet(key.encode())
    # and every password is a CHANGE_ME placeholder, also inside the connection URLs
    for name in ("POSTGRES_PASSWORD", "POSTGRES_REPLICATION_PASSWORD"):
        assert values[name].startswith("CHANGE_ME"), name
    for name in ("DATABASE_URL", "DIRECT_DATABASE_URL"):
        password = re.match(r"postgres://[^:]+:([^@]+)@", values[name]).group(1)
        assert password == values["POSTGRES_PASSWORD"], name
    assert "VECTIS_METRICS_TOKEN" not in values


def test_the_compose_file_runs_the_documented_services():
    yaml = pytest.importorskip("yaml")
    # given the compose file
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    # then it names every service, and the application's read the shared .env
    assert set(services) == SERVICES
    for name in APP_SERVICES:
        env_files = [entry["path"] for entry in services[name]["env_file"]]
        assert env_files == ["../.env"], name
    # and one worker per queue, one beat, the dispatcher and migrate before the rest
    for queue in ("allocation", "webhooks", "default"):
        command = services[f"worker-{queue}"]["command"]
        assert command[:4] == ["celery", "-A", "vectis", "worker"]
        assert command[command.index("-Q") + 1] == queue
    assert services["beat"]["command"][:4] == ["celery", "-A", "vectis", "beat"]
    assert services["dispatcher"]["command"] == ["python", "manage.py", "dispatch"]
    assert "manage.py migrate" in services["migrate"]["command"][-1]
    for name in APP_SERVICES - {"migrate"}:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["pgbouncer"]["condition"] == "service_healthy", name
    assert services["web"]["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    # and the replica streams from the primary, PgBouncer pools transactions
    assert services["replica"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["pgbouncer"]["environment"]["PGBOUNCER_POOL_MODE"] == "transaction"


def test_dockerfile_and_dockerignore():
    # given the Dockerfile and .dockerignore
    dockerfile = (BASE_DIR / "deploy" / "Dockerfile").read_text()
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    # then the image runs as a non-root user, serves :8000 and checks /healthz
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    assert re.search(r"^USER vectis$", dockerfile, re.M)
    assert re.search(r"^EXPOSE 8000$", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile and "deploy/healthcheck.py" in dockerfile
    assert "collectstatic" in dockerfile
    # and secrets and local state never reach the build context
    for entry in (".git", ".venv", ".env", ".secret_key", ".demo-credentials.json", "*.sqlite3"):
        assert entry in ignored, entry
