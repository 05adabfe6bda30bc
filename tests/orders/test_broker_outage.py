"""Orders whose allocation task the broker lost are allocated by the sweep (and by hand)."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.selectors import verify_ledger
from orders import services
from orders.models import Order
from tests import live
from tests.factories import Stock, order_body
from tests.helpers import Api


def body(n: int) -> dict:
    data = order_body(f"OUTAGE-{n}", items=[{"sku": "WIDGET-BLU", "quantity": 1}])
    return data


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_orders_created_while_the_broker_is_down_are_allocated_once_it_is_back(account):
    # given stock for 50 orders, and a production-like server whose broker (Redis) is down
    stock = Stock(account)
    stock.receive(stock.product("WIDGET-BLU"), stock.warehouse(), 100)
    token = Api(account).token
    with live.redis_server() as redis:
        redis.stop()
        with live.gunicorn(REDIS_URL=redis.url) as server:
            # when 50 orders are created during the outage
            for n in range(50):
                conn = server.connection()
                conn.request(
                    "POST",
                    "/v1/orders",
                    body=json.dumps(body(n)),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                response = conn.getresponse()
                assert response.status == 201, response.read()
                conn.close()
        # then they are accepted but nothing allocated them
        assert Order.objects.filter(status="pending").count() == 50

        # when the broker comes back with a worker and its scheduler
        redis.start()
        interval = 5
        with live.celery_worker(
            redis.url,
            beat=True,
            VECTIS_ALLOCATION_SWEEP_SECONDS=str(interval),
            VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS="1",
        ) as worker:
            # then one sweep interval after the worker is ready (beat's first run of the
            # sweep), plus 3 s for the sweep's own run, none is left pending
            live.wait_until(
                lambda: not Order.objects.filter(status="pending").exists(),
                timeout=interval + 3,
                what="the sweep to allocate the orders",
            )
            assert "orders.allocate_due" in worker.output()
    assert Order.objects.filter(status="allocated").count() == 50
    assert Order.objects.filter(allocation_due_at__isnull=False).count() == 0
    assert verify_ledger(account_id=account.pk)[1] == []


@pytest.fixture
def lost(account, api, stock):
    """An auto-allocate order whose allocation task never ran."""
    stock.receive(stock.product("WIDGET-BLU"), stock.warehouse(), 10)
    order = services.order_create(account=account, data=body(1))  # no on-commit: task "lost"
    Order.objects.filter(pk=order.pk).update(
        allocation_due_at=timezone.now() - timedelta(minutes=5)
    )
    return order


@pytest.mark.django_db
def test_the_operator_command_allocates_lost_orders_and_dry_run_changes_nothing(lost):
    out, err = io.StringIO(), io.StringIO()
    call_command("allocate_pending", "--dry-run", stdout=out, stderr=err)
    assert out.getvalue().split() == [lost.public_id]
    assert "would allocate 1 order(s)" in err.getvalue()
    lost.refresh_from_db()
    assert lost.status == "pending"

    call_command("allocate_pending", stdout=out, stderr=err)
    lost.refresh_from_db()
    assert (lost.status, lost.allocation_due_at) == ("allocated", None)


@pytest.mark.django_db
def test_a_recent_request_is_left_to_its_own_task(lost):
    Order.objects.filter(pk=lost.pk).update(allocation_due_at=timezone.now())
    assert services.allocate_due(older_than=timedelta(seconds=30)) == []


@pytest.mark.django_db
def test_a_deallocated_order_is_not_allocated_again_by_the_sweep(lost):
    services.allocate_due(older_than=timedelta(0))
    lost.refresh_from_db()
    services.order_deallocate(order=lost)
    lost.refresh_from_db()
    assert (lost.status, lost.allocation_due_at) == ("pending", None)
    assert services.allocate_due(older_than=timedelta(0)) == []


@pytest.mark.django_db
def test_a_request_for_an_order_held_meanwhile_is_dropped(lost):
    services.order_hold(order=lost, reason="fraud check")
    assert services.allocate_due(older_than=timedelta(0)) == [lost.public_id]
    lost.refresh_from_db()
    assert (lost.status, lost.allocation_due_at) == ("on_hold", None)
    # releasing the hold asks again
    services.order_release_hold(order=lost)
    lost.refresh_from_db()
    assert lost.allocation_due_at is not None or lost.status == "allocated"


@pytest.mark.django_db
def test_a_conflict_that_outlasts_its_retries_keeps_the_request(lost, monkeypatch):
    from orders.services import allocator
    from vectis.errors import ConflictRetry

    def conflicted(*args, **kwargs):
        raise ConflictRetry()

    monkeypatch.setattr(allocator, "allocate_locked", conflicted)
    assert services.allocate_due(older_than=timedelta(0)) == [lost.public_id]
    lost.refresh_from_db()
    assert (lost.status, lost.allocation_due_at is not None) == ("pending", True)


@pytest.mark.django_db
def test_one_order_that_fails_does_not_stop_the_sweep(lost, account, monkeypatch):
    # given two lost orders, the older of which fails with an unexpected error
    second = services.order_create(account=account, data=body(2))
    Order.objects.filter(pk=second.pk).update(
        allocation_due_at=timezone.now() - timedelta(minutes=1)
    )
    from orders.services import allocator

    real = allocator.allocate_locked

    def failing_first(locked, **kwargs):
        if any(order.pk == lost.pk for order, _ in locked):
            raise RuntimeError("a strategy bug")
        return real(locked, **kwargs)

    monkeypatch.setattr(allocator, "allocate_locked", failing_first)
    # when the sweep runs, then the second is allocated and the first keeps its request
    assert services.allocate_due(older_than=timedelta(0)) == [lost.public_id, second.public_id]
    lost.refresh_from_db()
    second.refresh_from_db()
    assert (lost.status, lost.allocation_due_at is not None) == ("pending", True)
    assert (second.status, second.allocation_due_at) == ("allocated", None)
