"""What `/readyz` checks: can this process serve? The database answers, the broker (Redis)
answers when one is configured, and every migration this code knows is applied.

`/healthz` checks nothing but that the process answers (liveness: restart it if not);
`/readyz` says whether to send it traffic (readiness: 503 naming what fails). Neither needs
credentials, and neither counts against a rate limit. A failure is named with the kind of
error only: a connection string (and the password in it) never reaches the answer.
"""

import contextlib
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# Once every migration is applied it stays so for this code; a positive answer is kept this
# long (reading the migration graph takes tens of milliseconds, too much for every probe).
MIGRATIONS_CACHE_SECONDS = 60
BROKER_TIMEOUT_SECONDS = 1.0


@dataclass
class Check:
    status: str  # ok | error | pending | disabled
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status in ("ok", "disabled")

    def as_dict(self) -> dict:
        shown = {"status": self.status, **self.extra}
        if self.detail:
            shown["detail"] = self.detail
        return shown


def database() -> Check:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"
        _discard_broken_connection()
        return Check("error", type(exc).__name__)
    return Check("ok")


def redis() -> Check:
    if not settings.REDIS_URL:
        return Check("disabled", "no REDIS_URL: tasks run in-process")
    try:
        import redis as redis_client

        client = redis_client.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "not ready"
        return Check("error", type(exc).__name__)
    return Check("ok")


_migrations_ok_until = 0.0
_migrations_lock = threading.Lock()


def migrations() -> Check:
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return Check("ok")
    try:
        with _migrations_lock:
            connection = connections[DEFAULT_DB_ALIAS]
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # the database is down: the database check names it
        _discard_broken_connection()
        return Check("error", type(exc).__name__)
    if plan:
        pending = [f"{m.app_label}.{m.name}" for m, _ in plan]
        return Check(
            "pending", "run python manage.py migrate", {"pending": pending[:20], "count": len(plan)}
        )
    _migrations_ok_until = time.monotonic() + MIGRATIONS_CACHE_SECONDS
    return Check("ok")


def readiness() -> tuple[bool, dict]:
    checks = {"database": database(), "redis": redis(), "migrations": migrations()}
    ready = all(check.passed for check in checks.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "failing": [name for name, check in checks.items() if not check.passed],
        "checks": {name: check.as_dict() for name, check in checks.items()},
    }
    return ready, body


def _discard_broken_connection() -> None:
    """A connection that failed is closed, so the next probe connects again."""
    with contextlib.suppress(Exception):  # closing a broken connection may fail too
        connections[DEFAULT_DB_ALIAS].close()
