"""Celery tasks: take ids, call a service, safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from orders import services


@shared_task(name="orders.allocate_order")
def allocate_order(order_id: int) -> str:
    """Auto-allocation after intake; a no-op for orders already allocated, held or closed."""
    return services.allocate_requested(order_id)


@shared_task(name="orders.allocate_due")
def allocate_due() -> int:
    """The sweep: allocations asked for whose task never ran (lost while the broker was down)."""
    older = timedelta(seconds=settings.VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS)
    return len(services.allocate_due(older_than=older))


@shared_task(name="orders.allocate_backorders")
def allocate_backorders(product_ids: list[int] | None = None) -> int:
    """Stock became available: serve backordered orders in priority, then arrival order."""
    return services.allocate_backorders(product_ids=product_ids)
