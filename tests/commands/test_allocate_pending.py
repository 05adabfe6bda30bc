from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from orders import services
from orders.models import Order
from orders.services import allocation
from tests.commands.helpers import run
from tests.factories import order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost(account, stock):
    """Two auto-allocate orders whose allocation task never ran."""
    stock.receive(stock.product("WIDGET-BLU"), stock.warehouse(), 10)
    orders = []
    for n in (1, 2):
        body = order_body(f"LOST-{n}", items=[{"sku": "WIDGET-BLU", "quantity": 1}])
        orders.append(services.order_create(account=account, data=body))
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        allocation_due_at=timezone.now() - timedelta(minutes=5)
    )
    return orders


def test_the_lost_orders_are_allocated_with_a_progress_bar(lost):
    ran = run("allocate_pending", "--progress")
    assert ran.lines == [o.public_id for o in lost]
    assert "allocating" in ran.err
    assert ran.err.rstrip().endswith("allocated 2 order(s)")
    assert set(Order.objects.values_list("status", flat=True)) == {"allocated"}


def test_the_dry_run_lists_them_and_allocates_nothing(lost):
    ran = run("allocate_pending", "--dry-run")
    assert ran.lines == [o.public_id for o in lost]
    assert ran.err == "would allocate 2 order(s)\n"
    assert set(Order.objects.values_list("status", flat=True)) == {"pending"}
    assert Order.objects.filter(allocation_due_at__isnull=False).count() == 2


def test_an_order_whose_allocation_fails_makes_the_exit_status_non_zero(lost, monkeypatch):
    real = allocation.allocate_orders

    def failing_first(ids, **kwargs):
        if lost[0].pk in ids:
            raise RuntimeError("boom")
        return real(ids, **kwargs)

    monkeypatch.setattr(allocation, "allocate_orders", failing_first)
    with pytest.raises(CommandError, match=f"of 1 order\\(s\\) failed.*{lost[0].public_id}"):
        run("allocate_pending")
    # the other order was allocated; the failed one keeps its request for the next run
    first, second = (Order.objects.get(pk=o.pk) for o in lost)
    assert (first.status, first.allocation_due_at is not None) == ("pending", True)
    assert (second.status, second.allocation_due_at) == ("allocated", None)


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError, match="--limit >= 1"):
        run("allocate_pending", "--limit", "0")
