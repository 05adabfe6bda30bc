"""The dispatcher: the work that follows a commit, done in batches by a loop that reads it from
the database (`manage.py dispatch`) instead of one broker task per order and per event.

Each round: fan out committed webhook events (one transaction per 500 events: their
deliveries are one INSERT), then allocate orders whose allocation was asked for. Rows are
taken with SKIP LOCKED, so several dispatchers can run side by side. A round that found
nothing waits a little (VECTIS_DISPATCH_IDLE_SECONDS); a busy one goes on at once. Because the
requests only write rows, a broker outage does not hold up allocation or fan-out at all.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from orders.services import allocation
from webhooks import services as webhooks

logger = logging.getLogger("vectis.dispatch")


@dataclass(frozen=True)
class Round:
    events: int
    orders: int

    @property
    def busy(self) -> bool:
        return bool(self.events or self.orders)


def run_once(*, events: int = 500, orders: int = 100) -> Round:
    relayed = webhooks.relay_pending(limit=events)
    allocated = allocation.allocate_requested_batch(limit=orders)
    return Round(relayed, allocated)


def run(stop: threading.Event | None = None, *, idle: float | None = None) -> None:
    """Dispatch until `stop` is set."""
    stop = stop or threading.Event()
    idle = settings.VECTIS_DISPATCH_IDLE_SECONDS if idle is None else idle
    while not stop.is_set():
        close_old_connections()
        try:
            done = run_once()
        except DatabaseError as exc:
            logger.warning("dispatch round failed (%s); retrying in 1 s", exc)
            stop.wait(1.0)
            continue
        if not done.busy:
            stop.wait(idle)


def drain(*, timeout: float = 60.0) -> Round:
    """Dispatch until a round finds nothing (tests, `dispatch --once`)."""
    total_events = total_orders = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = run_once()
        total_events += done.events
        total_orders += done.orders
        if not done.busy:
            break
    return Round(total_events, total_orders)
