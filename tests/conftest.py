import os
import uuid

import pytest
from django.db import connection

from tests.helpers import Api, make_account

pytest_plugins = ["tests.fixtures"]  # the shared fixtures

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """`postgres`/`redis` tests skip on the embedded default locally, but must run in CI."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(settings.REDIS_URL)
    if IN_CI and not (on_postgres and has_redis):
        raise pytest.UsageError(
            "CI must run against PostgreSQL and Redis: set DATABASE_URL and REDIS_URL."
        )
    chromium = _chromium()
    wants_browser = any("browser" in item.keywords for item in items)
    if IN_CI and wants_browser and chromium is not True:
        raise pytest.UsageError(f"CI must run the browser tests: {chromium}")
    for item in items:
        if "browser" in item.keywords and chromium is not True:
            item.add_marker(pytest.mark.skip(reason=chromium))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))


def _chromium():
    """True when the browser tests can run, else why not."""
    path = os.environ.get("VECTIS_CHROMIUM", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        return f"needs Chromium at {path} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs Playwright for Python (make install-dev)"
    return True


@pytest.fixture(autouse=True)
def _own_token_failure_counters(settings):
    """Each test counts failed sign-ins on its own (the counters live in the shared cache)."""
    settings.VECTIS_TOKEN_FAILURE_KEY_PREFIX = f"vectis-test:{uuid.uuid4().hex}:tokenfail"


@pytest.fixture
def account(db):
    return make_account("Acme")


@pytest.fixture
def other_account(db):
    return make_account("Globex")


@pytest.fixture
def api(account):
    """A client of `account` holding every scope."""
    return Api(account)


@pytest.fixture
def other_api(other_account):
    return Api(other_account)


@pytest.fixture
def make_api(db):
    def factory(account=None, scopes=None):
        from vectis.accounts.scopes import ALL_SCOPES

        return Api(account or make_account(), scopes if scopes is not None else ALL_SCOPES)

    return factory


@pytest.fixture
def close_db_in_threads():
    """Threads open their own connections; close them so the test database can be dropped."""
    yield
    connection.close()
