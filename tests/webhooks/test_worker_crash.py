"""At-least-once delivery with a record of every attempt: a worker killed mid-delivery leaves
its attempt in the log (interrupted), and the retry carries the same webhook-id."""

import json
import threading

import pytest

from tests import live
from tests.helpers import Api, make_account
from tests.webhooks.receiver import Receiver, Reply
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt

WORKER_ENV = {
    "VECTIS_WEBHOOK_TIMEOUT_SECONDS": "3",
    "VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS": "1",
    "VECTIS_WEBHOOK_SWEEP_SECONDS": "2",
}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_leaves_the_attempt_in_the_log(
    local_targets, close_db_in_threads
):
    # given a receiver that holds its first answer, and a subscribed endpoint
    release = threading.Event()
    receiver = Receiver(Reply(release=release, hang_seconds=60), default=Reply(200))
    account = make_account("Acme")
    services.endpoint_create(account=account, data={"url": receiver.url, "events": ["*"]})
    token = Api(account).token
    try:
        with live.redis_server() as redis:
            worker = live.celery_worker(redis.url, beat=True, **WORKER_ENV)
            with worker as first, live.gunicorn(REDIS_URL=redis.url, **WORKER_ENV) as server:
                # when an event is delivered and the worker is killed while the POST is out
                conn = server.connection()
                conn.request(
                    "POST",
                    "/v1/products",
                    body=json.dumps({"sku": "MUG", "name": "Mug"}),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                assert conn.getresponse().status == 201
                live.wait_until(lambda: len(receiver.requests) == 1, what="the first POST")
                first.kill()
            release.set()
            # and the broker goes down and comes back, losing whatever it held
            redis.stop()
            redis.start()
            # then a new worker retries it
            with live.celery_worker(redis.url, beat=True, **WORKER_ENV):
                live.wait_until(
                    lambda: Delivery.objects.filter(status="succeeded").exists(),
                    timeout=60,
                    what="the retry to succeed",
                )
    finally:
        release.set()
        receiver.stop()

    # and both attempts that reached the receiver are in the log, with one webhook-id
    ids = [r.headers.get("webhook-id") for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1], ids
    attempts = list(DeliveryAttempt.objects.order_by("number"))
    assert [(a.number, a.category, a.status_code) for a in attempts] == [
        (1, "interrupted", None),
        (2, "", 200),
    ]
    assert attempts[0].error.startswith("interrupted: ")
    assert all(a.finished_at is not None for a in attempts)
    assert Delivery.objects.get().attempt_count == 2
