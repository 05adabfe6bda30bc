"""Every write of an order goes through these functions."""

from orders.services.allocation import (
    AllocationResult,
    DueAllocations,
    allocate_backorders,
    allocate_due,
    allocate_due_report,
    allocate_orders,
    allocate_requested,
    order_allocate,
    order_deallocate,
)
from orders.services.history import record, set_status
from orders.services.intake import order_create, order_update
from orders.services.lifecycle import (
    order_cancel,
    order_deliver,
    order_hold,
    order_record_return,
    order_release_hold,
)
from orders.services.packages import package_split, package_update
from orders.services.shipping import order_ship, package_ship, package_track, package_void

__all__ = [
    "AllocationResult",
    "DueAllocations",
    "allocate_backorders",
    "allocate_due",
    "allocate_due_report",
    "allocate_orders",
    "allocate_requested",
    "order_allocate",
    "order_cancel",
    "order_create",
    "order_deallocate",
    "order_deliver",
    "order_hold",
    "order_record_return",
    "order_release_hold",
    "order_ship",
    "order_update",
    "package_ship",
    "package_split",
    "package_track",
    "package_update",
    "package_void",
    "record",
    "set_status",
]
