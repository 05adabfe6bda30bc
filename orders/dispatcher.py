"""The dispatcher: the work that follows a commit, done in batches by a loop that reads it from
the database (`manage.py dispatch`) instead of one broker task per order and per event.

Each round: fan out committed webhook events (one transaction per 500 events: their
deliveries are one INSERT), allocate orders whose allocation was asked for, serve the
backorders of stock announced as freed (inventory's StockFreed rows), and every few seconds
check low stock of the levels that changed. Rows are
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
from django.utils import timezone

from inventory.models import StockLevel
from inventory.services import levels as inventory_levels
from inventory.services import low_stock
from orders.services import allocation
from webhooks import services as webhooks

logger = logging.getLogger("vectis.dispatch")


@dataclass(frozen=True)
class Round:
    events: int
    orders: int
    freed: int = 0  # products whose freed stock was announced

    @property
    def busy(self) -> bool:
        return bool(self.events or self.orders or self.freed)


class LowStockWatch:
    """Low-stock checks of the levels changed since the last look, every few seconds (nothing
    is queued per stock change)."""

    def __init__(self, every: float | None = None):
        self.every = settings.VECTIS_DISPATCH_LOW_STOCK_SECONDS if every is None else every
        self.since = timezone.now()
        self.next_at = 0.0

    def run(self) -> int:
        if time.monotonic() < self.next_at:
            return 0
        self.next_at = time.monotonic() + self.every
        started = timezone.now()
        pairs = set(
            StockLevel.objects.filter(updated_at__gte=self.since)
            .values_list("product_id", "warehouse_id")
            .distinct()
        )
        self.since = started
        return low_stock.evaluate_many(pairs) if pairs else 0


def run_once(*, events: int = 500, orders: int = 100, watch: LowStockWatch | None = None) -> Round:
    relayed = webhooks.relay_pending(limit=events)
    allocated = allocation.allocate_requested_batch(limit=orders)
    freed = inventory_levels.take_freed()
    if freed:
        allocation.allocate_backorders(product_ids=freed)
    if watch is not None:
        watch.run()
    return Round(relayed, allocated, len(freed))


def run(stop: threading.Event | None = None, *, idle: float | None = None) -> None:
    """Dispatch until `stop` is set."""
    stop = stop or threading.Event()
    idle = settings.VECTIS_DISPATCH_IDLE_SECONDS if idle is None else idle
    watch = LowStockWatch()
    while not stop.is_set():
        close_old_connections()
        try:
            done = run_once(watch=watch)
        except DatabaseError as exc:
            logger.warning("dispatch round failed (%s); retrying in 1 s", exc)
            stop.wait(1.0)
            continue
        if not done.busy:
            stop.wait(idle)


def drain(*, timeout: float = 60.0) -> Round:
    """Dispatch until a round finds nothing (tests, `dispatch --once`)."""
    total = Round(0, 0, 0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = run_once()
        total = Round(
            total.events + done.events,
            total.orders + done.orders,
            total.freed + done.freed,
        )
        if not done.busy:
            break
    return total
