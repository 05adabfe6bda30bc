"""Every write of an order goes through these functions."""

from orders.services.allocation import AllocationResult, order_allocate, order_deallocate
from orders.services.history import record, set_status
from orders.services.intake import order_create

__all__ = [
    "AllocationResult",
    "order_allocate",
    "order_create",
    "order_deallocate",
    "record",
    "set_status",
]
