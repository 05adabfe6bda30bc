"""Webhooks in the admin: redeliver a delivery, or everything an endpoint missed since a time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import staff
from tests.helpers import Api
from tests.webhooks.receiver import Reply
from webhooks import services
from webhooks.models import Delivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_targets")]


def test_redeliver_a_failed_delivery(
    client, account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(Reply(500), Reply(200))
    created = Api(account).post("/v1/webhooks", {"url": receiver.url, "events": ["*"]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        services.emit(account, "order.created", {"id": "ord_1"})
    delivery = Delivery.objects.get(endpoint__public_id=created["id"])
    assert delivery.status != "succeeded"
    staff(client, {account: "manager"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/webhooks/delivery/",
            {"action": "redeliver_selected", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert [str(m) for m in response.context["messages"]] == [
        f"{delivery.public_id}: queued to send again."
    ]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert len(receiver.requests) == 2


def test_an_operator_cannot_redeliver(client, account):
    staff(client, {account: "operator"})
    endpoint = WebhookEndpoint.objects.create(
        account=account, url="https://hooks.example/a", events=["*"], secret="s"
    )
    page = client.get("/admin/webhooks/delivery/")
    assert page.context["action_form"] is None
    assert (
        client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/redeliver/").status_code == 403
    )
    detail = client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert detail.status_code == 200 and "Redeliver failed since" not in detail.content.decode()


def test_redeliver_everything_missed_since(
    client, account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(listen=False)
    created = Api(account).post("/v1/webhooks", {"url": receiver.url, "events": ["*"]}).json()
    endpoint = WebhookEndpoint.objects.get(public_id=created["id"])
    since = timezone.localtime(timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            services.emit(account, "order.created", {"n": n})
    receiver.start()
    staff(client, {account: "manager"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/webhooks/webhookendpoint/{endpoint.pk}/redeliver/",
            {"since": since.strftime("%Y-%m-%d %H:%M:%S")},
            follow=True,
        )
    assert [str(m) for m in response.context["messages"]] == [
        f"{endpoint.public_id}: 3 delivery(ies) queued to send again."
    ]
    assert Delivery.objects.filter(endpoint=endpoint, status="succeeded").count() == 3
    assert len(receiver.requests) == 3
