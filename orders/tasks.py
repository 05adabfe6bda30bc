"""Celery tasks: take ids, call a service, safe to run twice."""

from celery import shared_task

from orders import constants, services
from orders.models import Order
from vectis.errors import Conflict


@shared_task(name="orders.allocate_order")
def allocate_order(order_id: int) -> str:
    """Auto-allocation after intake; a no-op for orders already allocated, held or closed."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status not in constants.ALLOCATABLE:
        return "skipped"
    try:
        services.order_allocate(order=order, actor="system:auto_allocate")
    except Conflict:  # held or cancelled meanwhile
        return "skipped"
    return "done"


@shared_task(name="orders.allocate_backorders")
def allocate_backorders(product_ids: list[int] | None = None) -> int:
    """Stock became available: serve backordered orders in priority, then arrival order."""
    return services.allocate_backorders(product_ids=product_ids)
