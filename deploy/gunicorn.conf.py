"""Gunicorn configuration for Vectis: `gunicorn -c deploy/gunicorn.conf.py`.

Every value can be changed from the environment (VECTIS_WEB_*), or with GUNICORN_CMD_ARGS.
See docs/operations.md#web-server.
"""

import os
import tempfile


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


wsgi_app = "vectis.wsgi:application"
bind = os.environ.get("VECTIS_WEB_BIND", "0.0.0.0:8000")
# Threads, not processes alone: requests wait on PostgreSQL most of the time.
worker_class = "vectis.gunicorn_worker.JsonErrorThreadWorker"
workers = _int("VECTIS_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1)
threads = _int("VECTIS_WEB_THREADS", 4)

# A request that takes longer than this is a stuck worker: it is killed and restarted.
timeout = _int("VECTIS_WEB_TIMEOUT", 30)
graceful_timeout = _int("VECTIS_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("VECTIS_WEB_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = _int("VECTIS_WEB_MAX_REQUESTS", 10000)
max_requests_jitter = _int("VECTIS_WEB_MAX_REQUESTS_JITTER", 1000)

# Request line and headers: answered 414 / 431 (JSON) beyond these. Bodies are limited by the
# application (VECTIS_MAX_BODY_BYTES, 413).
limit_request_line = _int("VECTIS_WEB_LIMIT_REQUEST_LINE", 8190)
limit_request_fields = _int("VECTIS_WEB_LIMIT_REQUEST_FIELDS", 100)
limit_request_field_size = _int("VECTIS_WEB_LIMIT_REQUEST_FIELD_SIZE", 8190)

# Proxies whose X-Forwarded-* headers are believed (comma-separated addresses, or *).
forwarded_allow_ips = os.environ.get("VECTIS_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("VECTIS_WEB_ACCESS_LOG", "-")
errorlog = os.environ.get("VECTIS_WEB_ERROR_LOG", "-")
loglevel = os.environ.get("VECTIS_WEB_LOG_LEVEL", "info")

# gunicorn's control socket (gunicornc) is one path per user: several servers on one machine
# would share it. Off unless a path is given.
control_socket = os.environ.get("VECTIS_WEB_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Metrics of every worker in one scrape (vectis/metrics.py): prometheus-client keeps them in
# files of a directory the workers share. A fresh one per server unless one is given.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="vectis-metrics-")


def on_starting(server):
    """A given directory starts empty: counters of an earlier run must not be added in."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    """A worker that is gone leaves its counters in the sum and its gauges out of it."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
