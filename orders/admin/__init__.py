"""The orders admin: orders (`orders.admin.orders`) and packages (`orders.admin.packages`)."""

from orders.admin.orders import OrderAdmin, allocation_outcome
from orders.admin.packages import PackageAdmin

__all__ = ["OrderAdmin", "PackageAdmin", "allocation_outcome"]
