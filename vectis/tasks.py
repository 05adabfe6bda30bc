"""Queueing background work from code that must stay fast: requests and their transactions.

`enqueue` never raises and never waits long on a broker that is down: a failed publish opens a
short circuit (VECTIS_BROKER_BACKOFF_SECONDS) during which nothing is published at all. Every
kind of work queued this way has a periodic sweep that finds what was not queued (events not
fanned out, deliveries due, allocations due, backorders, low stock), so skipping is safe.

With tasks in-process (the embedded default, no broker), work runs right here, except work
that makes network calls (`background=True`: webhook deliveries): that runs on a small pool of
threads of this process, so no request ever waits on a receiver.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from celery import current_app
from django.conf import settings
from django.db import connections

logger = logging.getLogger("vectis.tasks")

_lock = threading.Lock()
_broker_down_until = 0.0
_pool: ThreadPoolExecutor | None = None


def enqueue(task, args: tuple = (), *, countdown: float | None = None, background=False) -> bool:
    """Queue `task(*args)`; False when it was not queued (left to its sweep)."""
    global _broker_down_until
    if current_app.conf.task_always_eager:
        if background and not settings.VECTIS_BACKGROUND_INLINE:
            _background_pool().submit(_run_in_thread, task, args)
            return True
        try:
            task.apply(args, throw=True)
        except Exception:
            logger.exception("in-process task %s failed; its sweep will retry", task.name)
            return False
        return True
    if time.monotonic() < _broker_down_until:
        return False
    try:
        # No publish retries: a sweep recovers what is not queued, a request must not wait.
        task.apply_async(args, countdown=countdown, retry=False)
    except Exception as exc:
        with _lock:
            _broker_down_until = time.monotonic() + settings.VECTIS_BROKER_BACKOFF_SECONDS
        logger.warning(
            "broker unavailable (%s): %s not queued, nothing published for %ss; sweeps catch up",
            exc,
            task.name,
            settings.VECTIS_BROKER_BACKOFF_SECONDS,
        )
        return False
    return True


def _background_pool() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.VECTIS_BACKGROUND_THREADS, thread_name_prefix="vectis-bg"
            )
        return _pool


def _run_in_thread(task, args: tuple) -> None:
    try:
        task.apply(args, throw=True)
    except Exception:
        logger.exception("background task %s failed; its sweep will retry", task.name)
    finally:
        connections.close_all()


def reset_broker_circuit() -> None:
    """Publish again at once (tests, and after an operator fixed the broker)."""
    global _broker_down_until
    with _lock:
        _broker_down_until = 0.0
