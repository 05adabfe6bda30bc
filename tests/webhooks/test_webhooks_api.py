from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers import Api, assert_scope_matrix, error_of, make_account
from tests.webhooks.receiver import Reply
from webhooks import event_types, services
from webhooks.models import Delivery, Event, WebhookEndpoint

# The read scope of any resource with events, or webhooks:manage, opens the events feed.
EVENT_SCOPES = (
    "orders:read",
    "products:read",
    "inventory:read",
    "warehouses:read",
    "packages:read",
    "returns:read",
    "webhooks:manage",
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_targets")]


@pytest.fixture
def account():
    return make_account("Acme")


@pytest.fixture
def api(account):
    return Api(account, ["webhooks:manage"])


def test_create_returns_secret_once(api, receiver_factory):
    receiver = receiver_factory()
    response = api.post(
        "/v1/webhooks",
        {"url": receiver.url, "events": ["order.created", "order.shipped"], "description": "ERP"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("whk_")
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["order.created", "order.shipped"]
    assert body["active"] is True
    stored = WebhookEndpoint.objects.get()
    assert stored.secret == body["secret"] and stored.account == api.account
    # never shown again
    assert "secret" not in api.get(f"/v1/webhooks/{body['id']}").json()
    assert all("secret" not in w for w in api.get("/v1/webhooks").json()["data"])
    patched = api.patch(f"/v1/webhooks/{body['id']}", {"description": "x"}).json()
    assert "secret" not in patched


def test_rotate_secret(api, receiver_factory):
    created = api.post("/v1/webhooks", {"url": receiver_factory().url, "events": ["*"]}).json()
    rotated = api.post(f"/v1/webhooks/{created['id']}/rotate_secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]
    assert WebhookEndpoint.objects.get().secret == rotated.json()["secret"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1/x"}, "events"),
        ({"url": "http://127.0.0.1/x", "events": []}, "events"),
        ({"url": "http://127.0.0.1/x", "events": ["order.exploded"]}, "events"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1/x", "events": ["*"], "secret": "mine"}, "secret"),
    ],
)
def test_create_validation(api, body, field):
    response = api.post("/v1/webhooks", body)
    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert WebhookEndpoint.objects.count() == 0


def test_star_collapses_the_list(api, receiver_factory):
    body = api.post(
        "/v1/webhooks", {"url": receiver_factory().url, "events": ["order.created", "*"]}
    ).json()
    assert body["events"] == ["*"]


def test_patch_and_delete(api, receiver_factory):
    created = api.post("/v1/webhooks", {"url": receiver_factory().url, "events": ["*"]}).json()
    url = f"/v1/webhooks/{created['id']}"
    patched = api.patch(url, {"events": ["inventory.low_stock"], "active": False})
    assert patched.status_code == 200
    assert (patched.json()["events"], patched.json()["active"]) == (["inventory.low_stock"], False)
    assert api.patch(url, {"url": "ftp://x"}).status_code == 400
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert WebhookEndpoint.objects.count() == 0


def test_enabling_clears_disabled_reason(api, receiver_factory):
    created = api.post("/v1/webhooks", {"url": receiver_factory().url, "events": ["*"]}).json()
    WebhookEndpoint.objects.update(
        active=False,
        disabled_reason="410",
        disabled_at=timezone.now(),
        failing_since=timezone.now(),
    )
    body = api.patch(f"/v1/webhooks/{created['id']}", {"active": True}).json()
    assert (body["active"], body["disabled_reason"], body["disabled_at"]) == (True, "", None)
    assert WebhookEndpoint.objects.get().failing_since is None


def test_event_types_lists_the_registry(api):
    response = api.get("/v1/webhooks/event_types")
    assert response.status_code == 200
    rows = response.json()["data"]
    assert [r["type"] for r in rows] == list(event_types.EVENT_TYPES)
    reference = {
        "order.created",
        "order.updated",
        "order.cancelled",
        "order.shipped",
        "package.created",
        "package.shipped",
        "package.delivered",
        "inventory.adjusted",
        "inventory.low_stock",
    }
    assert reference <= {r["type"] for r in rows}
    assert all(r["description"] for r in rows)


def test_test_sends_a_ping(api, receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory()
    created = api.post("/v1/webhooks", {"url": receiver.url, "events": ["order.created"]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/v1/webhooks/{created['id']}/test")
    assert response.status_code == 202
    assert response.json()["event_type"] == "ping"
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["X-Vectis-Event"] == "ping"
    assert Delivery.objects.get().status == "succeeded"


def test_deliveries_log_filters_and_redeliver(
    api, account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(Reply(400), Reply(200), Reply(200), Reply(200))
    created = api.post("/v1/webhooks", {"url": receiver.url, "events": ["*"]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        services.emit(account, "order.created", {"id": "ord_1"})
        services.emit(account, "inventory.adjusted", {"sku": "A"})
    log_url = f"/v1/webhooks/{created['id']}/deliveries"
    log = api.get(log_url).json()
    assert log["meta"]["total"] == 2
    failed = api.get(log_url, {"status": "failed"}).json()["data"]
    assert len(failed) == 1 and failed[0]["event_type"] == "order.created"
    assert failed[0]["attempts"][0]["status_code"] == 400
    assert [
        d["event_type"]
        for d in api.get(log_url, {"event_type": "inventory.adjusted"}).json()["data"]
    ] == ["inventory.adjusted"]
    assert api.get(log_url, {"created_after": "2999-01-01"}).json()["data"] == []
    assert api.get(log_url, {"status": "bogus"}).status_code == 400
    # when the failed one is redelivered
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/v1/webhooks/deliveries/{failed[0]['id']}/redeliver")
    assert response.status_code == 202
    detail = api.get(f"/v1/webhooks/deliveries/{failed[0]['id']}").json()
    assert detail["status"] == "succeeded"
    assert [a["status_code"] for a in detail["attempts"]] == [400, 200]
    assert len(receiver.requests) == 3


def test_recover_after_an_outage_delivers_each_event_once(
    api, account, receiver_factory, django_capture_on_commit_callbacks
):
    # given a receiver that is down (its port refuses connections)
    receiver = receiver_factory(listen=False)
    created = api.post("/v1/webhooks", {"url": receiver.url, "events": ["*"]}).json()
    since = timezone.now() - timedelta(seconds=1)
    # when 100 events happen during the outage
    with django_capture_on_commit_callbacks(execute=True):
        events = [services.emit(account, "order.created", {"n": i}) for i in range(100)]
    assert Delivery.objects.filter(status="pending", attempt_count=1).count() == 100
    # and the receiver comes back and the client asks to recover
    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/v1/webhooks/{created['id']}/recover", {"since": since.isoformat()})
    # then all 100 are delivered, once each
    assert response.status_code == 202
    assert response.json() == {"requeued": 100}
    received_ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert sorted(received_ids) == sorted(e.public_id for e in events)
    assert len(set(received_ids)) == 100
    assert Delivery.objects.filter(status="succeeded").count() == 100
    # and sweeping again sends nothing more
    services.sweep()
    assert len(receiver.requests) == 100


def test_recover_refuses_a_disabled_endpoint(api, receiver_factory):
    created = api.post("/v1/webhooks", {"url": receiver_factory().url, "events": ["*"]}).json()
    api.patch(f"/v1/webhooks/{created['id']}", {"active": False})
    response = api.post(f"/v1/webhooks/{created['id']}/recover", {"since": "2026-01-01T00:00:00Z"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "endpoint_disabled"
    assert api.post(f"/v1/webhooks/{created['id']}/recover", {}).status_code == 400


def test_recover_refuses_a_since_older_than_the_delivery_log(api, receiver_factory, settings):
    # succeeded deliveries older than the retention are pruned: from before then, an event
    # without a delivery may well have arrived, and would be sent again
    created = api.post("/v1/webhooks", {"url": receiver_factory().url, "events": ["*"]}).json()
    days = settings.VECTIS_RETENTION_DELIVERIES_DAYS
    since = timezone.now() - timedelta(days=days, hours=1)
    response = api.post(f"/v1/webhooks/{created['id']}/recover", {"since": since.isoformat()})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("before_retention", "since")
    within = timezone.now() - timedelta(days=days - 1)
    ok = api.post(f"/v1/webhooks/{created['id']}/recover", {"since": within.isoformat()})
    assert ok.status_code == 202


# --- events feed ---------------------------------------------------------------------------
def test_events_feed_filters_by_type_time_and_scope(account):
    services.emit(account, "order.created", {"id": "ord_1"})
    services.emit(account, "inventory.adjusted", {"sku": "A"})
    services.emit(account, "order.shipped", {"id": "ord_1"})
    services.emit(make_account("Other"), "order.created", {"id": "ord_x"})

    manager = Api(account, ["webhooks:manage"])
    assert [e["type"] for e in manager.get("/v1/events").json()["data"]] == [
        "order.shipped",
        "inventory.adjusted",
        "order.created",
    ]
    orders_reader = Api(account, ["orders:read"])
    assert [
        e["type"] for e in orders_reader.get("/v1/events", {"sort": "created_at"}).json()["data"]
    ] == [
        "order.created",
        "order.shipped",
    ]
    assert [
        e["type"] for e in manager.get("/v1/events", {"type": "inventory.adjusted"}).json()["data"]
    ] == ["inventory.adjusted"]
    assert manager.get("/v1/events", {"created_after": "2999-01-01"}).json()["data"] == []
    event = Event.objects.get(type="inventory.adjusted")
    assert manager.get(f"/v1/events/{event.public_id}").json()["data"] == {"sku": "A"}
    # a reader of orders cannot open an inventory event
    assert orders_reader.get(f"/v1/events/{event.public_id}").status_code == 404
    # a client with no matching scope is refused
    assert Api(account, ["warehouses:write"]).get("/v1/events").status_code == 403


# --- tenancy and scopes --------------------------------------------------------------------
def test_other_account_sees_nothing(
    api, account, receiver_factory, django_capture_on_commit_callbacks
):
    created = api.post("/v1/webhooks", {"url": receiver_factory().url, "events": ["*"]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        event = services.emit(account, "order.created", {"id": "ord_1"})
    delivery = Delivery.objects.get()
    other = Api(make_account("Other"), ["webhooks:manage", "orders:read"])
    for response in (
        other.get(f"/v1/webhooks/{created['id']}"),
        other.patch(f"/v1/webhooks/{created['id']}", {"active": False}),
        other.delete(f"/v1/webhooks/{created['id']}"),
        other.post(f"/v1/webhooks/{created['id']}/rotate_secret"),
        other.post(f"/v1/webhooks/{created['id']}/test"),
        other.post(f"/v1/webhooks/{created['id']}/recover", {"since": "2026-01-01T00:00:00Z"}),
        other.get(f"/v1/webhooks/{created['id']}/deliveries"),
        other.get(f"/v1/webhooks/deliveries/{delivery.public_id}"),
        other.post(f"/v1/webhooks/deliveries/{delivery.public_id}/redeliver"),
        other.get(f"/v1/events/{event.public_id}"),
    ):
        assert response.status_code == 404, response.content
    assert other.get("/v1/webhooks").json()["data"] == []
    assert other.get("/v1/events").json()["data"] == []
    assert WebhookEndpoint.objects.get().active is True


def test_scope_matrix_over_every_webhook_endpoint(account, receiver_factory):
    receiver = receiver_factory()
    endpoint = services.endpoint_create(
        account=account, data={"url": receiver.url, "events": ["*"]}
    ).endpoint
    spare = services.endpoint_create(
        account=account, data={"url": receiver.url, "events": ["*"]}
    ).endpoint
    event = services.emit(account, "order.created", {"id": "ord_1"})
    services.fan_out(event.pk)
    delivery = Delivery.objects.filter(endpoint=endpoint).get()
    wid = endpoint.public_id
    assert_scope_matrix(
        account,
        [
            ("GET", "/v1/webhooks", None, "webhooks:manage"),
            ("POST", "/v1/webhooks", {"url": receiver.url, "events": ["*"]}, "webhooks:manage"),
            ("GET", "/v1/webhooks/event_types", None, "webhooks:manage"),
            ("GET", f"/v1/webhooks/{wid}", None, "webhooks:manage"),
            ("PATCH", f"/v1/webhooks/{wid}", {"description": "x"}, "webhooks:manage"),
            ("POST", f"/v1/webhooks/{wid}/rotate_secret", None, "webhooks:manage"),
            ("POST", f"/v1/webhooks/{wid}/test", None, "webhooks:manage"),
            (
                "POST",
                f"/v1/webhooks/{wid}/recover",
                {"since": (timezone.now() - timedelta(days=1)).isoformat()},
                "webhooks:manage",
            ),
            ("GET", f"/v1/webhooks/{wid}/deliveries", None, "webhooks:manage"),
            ("GET", f"/v1/webhooks/deliveries/{delivery.public_id}", None, "webhooks:manage"),
            (
                "POST",
                f"/v1/webhooks/deliveries/{delivery.public_id}/redeliver",
                None,
                "webhooks:manage",
            ),
            ("DELETE", f"/v1/webhooks/{spare.public_id}", None, "webhooks:manage"),
            ("GET", "/v1/events", None, EVENT_SCOPES),
            ("GET", f"/v1/events/{event.public_id}", None, EVENT_SCOPES),
        ],
    )


def test_test_ping_to_a_disabled_endpoint_is_409(api, receiver_factory):
    created = api.post("/v1/webhooks", {"url": receiver_factory().url, "events": ["*"]}).json()
    api.patch(f"/v1/webhooks/{created['id']}", {"active": False})
    response = api.post(f"/v1/webhooks/{created['id']}/test")
    assert response.status_code == 409
    assert error_of(response)["code"] == "endpoint_disabled"
    assert Delivery.objects.count() == 0


def test_recover_sends_what_happened_while_the_endpoint_was_disabled(
    api, account, receiver_factory, django_capture_on_commit_callbacks
):
    # given an endpoint that was disabled while events happened (so they got no delivery)
    receiver = receiver_factory()
    created = api.post("/v1/webhooks", {"url": receiver.url, "events": ["order.created"]}).json()
    api.patch(f"/v1/webhooks/{created['id']}", {"active": False})
    with django_capture_on_commit_callbacks(execute=True):
        missed = [services.emit(account, "order.created", {"n": i}) for i in range(3)]
        services.emit(account, "inventory.adjusted", {"sku": "A"})  # not subscribed
    assert Delivery.objects.count() == 0
    # when it is enabled again and recovers
    api.patch(f"/v1/webhooks/{created['id']}", {"active": True})
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/v1/webhooks/{created['id']}/recover",
            {"since": (timezone.now() - timedelta(hours=1)).isoformat()},
        )
    # then exactly the subscribed events it missed arrive, once each
    assert response.json() == {"requeued": 3}
    assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(
        e.public_id for e in missed
    )
