"""No network call runs in a request: on the embedded default (tasks in-process) webhook
deliveries run on background threads, so a slow receiver never holds an API call."""

import threading

import pytest

from tests import live
from tests.helpers import Api, make_account
from tests.webhooks.receiver import Receiver, Reply
from webhooks import services
from webhooks.models import Delivery


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_does_not_answer_does_not_hold_the_request(
    settings, local_targets, close_db_in_threads
):
    # given the embedded default's background threads and a receiver that holds its answer
    settings.VECTIS_BACKGROUND_INLINE = False
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 30
    release = threading.Event()
    receiver = Receiver(default=Reply(release=release, hang_seconds=25))
    account = make_account("Acme")
    services.endpoint_create(account=account, data={"url": receiver.url, "events": ["*"]})
    try:
        # when a product is created (emitting product.created to that receiver)
        response = Api(account).post("/v1/products", {"sku": "MUG", "name": "Mug"})

        # then the request has its answer while the receiver still holds its own
        assert response.status_code == 201, response.content
        assert receiver.replied == 0
        live.wait_until(lambda: len(receiver.requests) == 1, timeout=20, what="the POST")
        assert Delivery.objects.get().status == "pending"
        # and the delivery completes in the background once the receiver answers
        release.set()
        live.wait_until(
            lambda: Delivery.objects.filter(status="succeeded").exists(),
            timeout=20,
            what="the delivery to be recorded",
        )
    finally:
        release.set()
        receiver.stop()
    assert receiver.replied == 1
