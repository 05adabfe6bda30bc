"""Queueing background work from code that must stay fast: requests and their transactions.

`enqueue` never raises and never waits long on a broker that is down: a failed publish opens a
short circuit (VECTIS_BROKER_BACKOFF_SECONDS) during which nothing is published at all. Every
kind of work queued this way has a periodic sweep that finds what was not queued (events not
fanned out, deliveries due, allocations due, backorders, low stock), so skipping is safe.

With tasks in-process (the embedded default, no broker), work runs on a small pool of
threads of this process once the transaction that asked for it has committed, so no request
waits on it (nor on a webhook receiver). Tests run it inline instead
(VECTIS_BACKGROUND_INLINE), so it is done when the call returns.
"""

import contextlib
import contextvars
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from celery import current_app
from django.conf import settings
from django.db import connections

logger = logging.getLogger("vectis.tasks")

_lock = threading.Lock()
_broker_down_until = 0.0
_pool: ThreadPoolExecutor | None = None
_running: set = set()


_paused = threading.local()


@contextlib.contextmanager
def left_to_sweeps():
    """Queue nothing in this thread meanwhile (bulk seeding): each kind of work has a periodic
    sweep that finds what was not queued, as after a broker outage."""
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False


def enqueue(task, args: tuple = (), *, countdown: float | None = None) -> bool:
    """Queue `task(*args)`; False when it was not queued (left to its sweep)."""
    global _broker_down_until
    if getattr(_paused, "on", False):
        return False
    if current_app.conf.task_always_eager:
        if not settings.VECTIS_BACKGROUND_INLINE:
            try:
                # in the caller's context: its log lines keep the request's id
                context = contextvars.copy_context()
                future = _background_pool().submit(context.run, _run_in_thread, task, args)
            except RuntimeError:
                # The interpreter is exiting (a command returned while background work was
                # still finishing): the pool takes nothing new, so this runs here and now.
                _run_in_thread(task, args)
                return True
            with _lock:
                _running.add(future)
            future.add_done_callback(_running.discard)
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


def settle(timeout: float = 30.0) -> None:
    """Wait until the background work queued so far (and what it queued) is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            pending = list(_running)
        if not pending:
            return
        wait(pending, timeout=max(0.0, deadline - time.monotonic()))
    raise TimeoutError("background work did not finish in time")


def reset_broker_circuit() -> None:
    """Publish again at once (tests, and after an operator fixed the broker)."""
    global _broker_down_until
    with _lock:
        _broker_down_until = 0.0
