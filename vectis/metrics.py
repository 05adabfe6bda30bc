"""Prometheus metrics at `/metrics` (prometheus-client), in the text exposition format.

Counted where they happen: requests by route, method and status with a latency histogram (the
observability middleware), task outcomes and durations (Celery's signals, for workers and for
in-process tasks alike), webhook attempt outcomes and durations (webhooks.services.outcomes),
the database pool's size, idle connections and waiting requests (after each request). Read
from the database at each scrape: outbox lag (age of the oldest event not yet relayed), events
waiting to be relayed, orders whose allocation is pending, deliveries waiting to be sent.

The endpoint, its access rule and the gauges read from the database are in
vectis/metrics_endpoint.py (which may read every app); this module only counts, so any code
can import it.

Several processes (gunicorn workers): set `PROMETHEUS_MULTIPROC_DIR` to an empty directory
shared by them (deploy/gunicorn.conf.py clears a dead worker's files); each scrape then adds
up every process. Access: a `VECTIS_METRICS_TOKEN` bearer token, or a client address in
`VECTIS_METRICS_ALLOWED_NETWORKS` (loopback by default).
"""

from django.db import DEFAULT_DB_ALIAS, connections
from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "vectis_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "vectis_http_request_duration_seconds",
    "Time to answer a request.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
TASKS = Counter("vectis_tasks", "Background tasks run, by outcome.", ["task", "outcome"])
TASK_DURATION = Histogram(
    "vectis_task_duration_seconds", "Time a task ran.", ["task"], buckets=LATENCY_BUCKETS
)
WEBHOOK_ATTEMPTS = Counter(
    "vectis_webhook_attempts",
    "Webhook delivery attempts, by outcome (success, retry, gone, final).",
    ["outcome"],
)
WEBHOOK_DURATION = Histogram(
    "vectis_webhook_attempt_duration_seconds",
    "Time a delivery attempt took.",
    buckets=LATENCY_BUCKETS,
)
POOL_SIZE = Gauge(
    "vectis_db_pool_connections", "Connections the pool holds.", multiprocess_mode="livesum"
)
POOL_IDLE = Gauge(
    "vectis_db_pool_idle_connections", "Idle pooled connections.", multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "vectis_db_pool_waiting_requests",
    "Requests waiting for a pooled connection.",
    multiprocess_mode="livesum",
)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"  # any token is a method to gunicorn
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)
    _observe_pool()


def observe_task(task: str, outcome: str, seconds: float | None) -> None:
    TASKS.labels(task, outcome).inc()
    if seconds is not None:
        TASK_DURATION.labels(task).observe(seconds)


def observe_webhook_attempt(outcome: str, duration_ms: float | None) -> None:
    WEBHOOK_ATTEMPTS.labels(outcome).inc()
    if duration_ms is not None:
        WEBHOOK_DURATION.observe(duration_ms / 1000)


def _observe_pool() -> None:
    pool = getattr(connections[DEFAULT_DB_ALIAS], "_connection_pool", None)
    if pool is None:
        return
    stats = pool.get_stats()
    POOL_SIZE.set(stats.get("pool_size", 0))
    POOL_IDLE.set(stats.get("pool_available", 0))
    POOL_WAITING.set(stats.get("requests_waiting", 0))
