"""Celery tasks: take ids, call a service, safe to run twice."""

from celery import shared_task

from inventory.services import low_stock, reservations


@shared_task(name="inventory.evaluate_low_stock")
def evaluate_low_stock(pairs: list[list[int]]) -> int:
    """Low-stock check for (product_id, warehouse_id) pairs whose stock just changed."""
    return low_stock.evaluate_many(pairs)


@shared_task(name="inventory.low_stock_sweep")
def low_stock_sweep() -> int:
    return low_stock.sweep()


@shared_task(name="inventory.expire_holds")
def expire_holds() -> int:
    return reservations.expire_holds()
