"""Celery queues per kind of work: allocation, webhooks and default, each with workers of its
own, so that a webhook backlog (receivers that hang) never delays allocation."""

import subprocess
import sys
import threading

import pytest

from orders.models import Order
from tests.factories import Stock, order_body
from tests.helpers import Api, make_account
from tests.live import BASE_DIR, celery_worker, redis_server, server_env, wait_until
from tests.webhooks.receiver import Receiver, Reply
from webhooks import services as webhooks
from webhooks.models import Delivery, Event

PUBLISH = """
import sys, django
django.setup()
from orders.tasks import allocate_order
from vectis import tasks
from webhooks.services.fanout import relay_pending
relayed = relay_pending()
assert tasks.enqueue(allocate_order, (int(sys.argv[1]),))
print(relayed)
"""


def test_the_tasks_are_routed_by_kind():
    from celery import current_app

    router = current_app.amqp.router
    for name, queue in [
        ("orders.allocate_order", "allocation"),
        ("orders.allocate_due", "allocation"),
        ("orders.allocate_backorders", "allocation"),
        ("webhooks.deliver_batch", "webhooks"),
        ("webhooks.relay", "webhooks"),
        ("webhooks.sweep", "webhooks"),
        ("inventory.expire_holds", "default"),
        ("inventory.evaluate_low_stock", "default"),
        ("vectis.api.tasks.purge_idempotency_keys", "default"),
    ]:
        assert router.route({}, name)["queue"].name == queue, name
    assert {q.name for q in current_app.conf.task_queues} == {"default", "allocation", "webhooks"}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_webhook_backlog_does_not_delay_allocation(close_db_in_threads, local_targets):
    account = make_account("Queues")
    account.auto_allocate = False
    account.save()
    stock = Stock(account)
    stock.receive(stock.product("TEE"), stock.warehouse("MAIN"), 5)
    created = Api(account).post(
        "/v1/orders", order_body("Q-1", items=[{"sku": "TEE", "quantity": 1}])
    )
    assert created.status_code == 201, created.content
    order = Order.objects.get(public_id=created.json()["id"])
    assert order.status == "pending"

    held = threading.Event()  # every delivery hangs until the end of the test
    receiver = Receiver(default=Reply(200, release=held, hang_seconds=60))
    try:
        webhooks.endpoint_create(account=account, data={"url": receiver.url, "events": ["*"]})
        Event.objects.bulk_create(  # written as the outbox does, relayed by the publisher below
            [Event(account=account, type="ping", data={"n": n}) for n in range(40)]
        )
        with (
            redis_server() as redis,
            celery_worker(redis.url, queues="webhooks", concurrency=1),
            celery_worker(redis.url, queues="allocation", concurrency=1),
        ):
            publish = subprocess.run(
                [sys.executable, "-c", PUBLISH, str(order.pk)],
                cwd=BASE_DIR,
                env=server_env(REDIS_URL=redis.url),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert publish.returncode == 0, publish.stderr
            assert int(publish.stdout.strip().splitlines()[-1]) >= 40  # events relayed

            def allocated():
                order.refresh_from_db()
                return order.status == "allocated"

            wait_until(allocated, timeout=60, what="the order to be allocated")
            # the webhook worker is stuck on hanging receivers the whole time
            assert 0 < len(receiver.requests) < 40
            assert Delivery.objects.filter(status=Delivery.PENDING).count() >= 30
            held.set()
    finally:
        held.set()
        receiver.stop()
