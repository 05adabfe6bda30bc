"""GET /v1/inventory/snapshot and GET /v1/events/sync: a channel rebuilds its copy of the stock
from one consistent snapshot and follows the events from the snapshot's token, missing nothing
and receiving nothing twice, also while other transactions write (and commit late)."""

import threading
import time

import pytest
from django.db import connection, transaction

from inventory import services
from inventory.models import StockMovement
from tests.factories import Stock
from tests.helpers import Api, error_of, make_account
from tests.inventory.channel import EVENT, Channel, Operations, inventory
from webhooks.models import Event


def _world(name: str = "Channel"):
    account = make_account(name)
    account.auto_allocate = False  # orders allocate when the operations say so
    account.save()
    stock = Stock(account)
    warehouses = [stock.warehouse("EAST", priority=2), stock.warehouse("WEST", priority=1)]
    stock.products = {sku: stock.product(sku) for sku in Operations.skus}
    stock.kit("KIT", {"A": 1, "B": 2})
    return account, stock, warehouses


def snapshot(api, **params) -> dict:
    response = api.get("/v1/inventory/snapshot", params)
    assert response.status_code == 200, response.content
    return response.json()


def channel_from(body: dict) -> Channel:
    channel = Channel()
    for row in body["data"]:
        channel.apply(row)
    return channel


def sync(api, channel: Channel, token: str) -> tuple[str, list[str]]:
    """Every event after `token` applied to `channel`: (the token after them, their ids)."""
    ids = []
    while True:
        response = api.get("/v1/events/sync", {"token": token, "type": EVENT, "per_page": 7})
        assert response.status_code == 200, response.content
        body = response.json()
        for event in body["data"]:
            channel.apply(event["data"])
            ids.append(event["id"])
        token = body["meta"]["next_token"]
        if not body["meta"]["has_more"]:
            return token, ids


@pytest.mark.django_db
def test_the_snapshot_is_every_inventory_row_with_the_newest_movement(settings):
    account, stock, warehouses = _world()
    api = Api(account)
    for sku, wh, quantity in [("A", 0, 5), ("B", 0, 8), ("B", 1, 3), ("C", 1, 2)]:
        stock.receive(stock.products[sku], warehouses[wh], quantity)

    body = snapshot(api)

    listed = {
        (row["sku"], row["warehouse_id"]): row
        for row in api.get("/v1/inventory", {"per_page": 100}).json()["data"]
    }
    fields = ["product_id", "sku", "type", "warehouse_id", "warehouse_code"]
    fields += ["on_hand", "reserved", "available"]
    assert body["data"] == [{f: row[f] for f in fields} for row in listed.values()]
    assert [(r["sku"], r["warehouse_code"]) for r in body["data"]] == [
        ("A", "EAST"),
        ("B", "EAST"),
        ("B", "WEST"),
        ("C", "WEST"),
        ("KIT", "EAST"),  # 5 A, 8 B: 4 kits of 1 A + 2 B
        ("KIT", "WEST"),
    ]
    newest = StockMovement.objects.filter(account=account).order_by("-pk").first()
    assert body["meta"]["last_movement_id"] == newest.public_id
    assert body["meta"]["rows"] == 6 and body["meta"]["sync_token"]
    # one warehouse
    west = snapshot(api, warehouse=warehouses[1].public_id)
    assert {r["warehouse_code"] for r in west["data"]} == {"WEST"}
    assert len(west["data"]) == 3
    # nothing of another account
    assert snapshot(Api(make_account("Other")))["data"] == []


@pytest.mark.django_db
def test_sync_refuses_what_it_did_not_issue():
    account, _, _ = _world()
    api = Api(account)
    for params, field, code in [
        ({"token": "nonsense"}, "token", "invalid_token"),
        ({"type": "order.nonsense"}, "type", "invalid"),
        ({"per_page": "0"}, "per_page", "min_value"),
        ({"per_page": "501"}, "per_page", "max_value"),
        ({"token": ""}, "token", "blank"),
    ]:
        response = api.get("/v1/events/sync", params)
        assert response.status_code == 400, (params, response.content)
        error = error_of(response)
        detail = error["details"][0]["code"] if "details" in error else error["code"]
        assert (error["field"], detail) == (field, code), error
    # a cursor of the list is not a sync token
    cursor = api.get("/v1/events", {"per_page": 1, "cursor": ""})
    assert cursor.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_sync_without_a_token_starts_now_and_pages_in_order(close_db_in_threads):
    account, stock, warehouses = _world()
    api = Api(account)
    stock.receive(stock.products["A"], warehouses[0], 1)
    start = api.get("/v1/events/sync").json()
    assert start["data"] == [] and start["meta"]["has_more"] is False
    for quantity in range(1, 16):
        stock.receive(stock.products["C"], warehouses[1], quantity)

    seen, token, calls = [], start["meta"]["next_token"], 0
    while True:
        body = api.get("/v1/events/sync", {"token": token, "per_page": 4}).json()
        calls += 1
        seen += [e["data"]["on_hand"] for e in body["data"] if e["type"] == EVENT]
        token = body["meta"]["next_token"]
        if not body["meta"]["has_more"]:
            break
    on_hand = [sum(range(1, n + 1)) for n in range(1, 16)]
    assert seen == on_hand  # each once, in the order they happened
    assert calls >= 8  # 15 available_changed and 15 inventory.adjusted, 4 a page
    # and nothing more until something changes
    again = api.get("/v1/events/sync", {"token": token}).json()
    assert again["data"] == []
    # a token sees only the types its scopes may read
    orders_only = Api(account, scopes=["orders:read"])
    assert (
        orders_only.get("/v1/events/sync", {"token": start["meta"]["next_token"]}).json()["data"]
        == []
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_commits_after_the_snapshot_is_not_missed(close_db_in_threads):
    """Event ids are handed out when a transaction writes, not when it commits: a transaction
    that wrote before the snapshot and commits after it has an event id lower than one the
    snapshot includes. Following "ids after the snapshot's newest" would skip it; the token
    does not."""
    account, stock, warehouses = _world()
    api = Api(account)
    a, c = stock.products["A"], stock.products["C"]  # C is in no kit: no lock shared with A
    east = stock.default(warehouses[0])
    stock.receive(a, warehouses[0], 10)
    stock.receive(c, warehouses[0], 10)
    wrote, commit = threading.Event(), threading.Event()
    errors = []

    def late():
        try:
            with transaction.atomic():
                services.adjust(product=a, location=east, reason="other", quantity=5)
                wrote.set()
                assert commit.wait(20)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=late)
    thread.start()
    assert wrote.wait(20)
    assert (
        api.post(
            "/v1/inventory/adjust",
            {"sku": "C", "warehouse_id": warehouses[0].public_id, "quantity": 2, "reason": "other"},
        ).status_code
        == 200
    )

    body = snapshot(api)
    commit.set()
    thread.join()
    assert errors == []

    rows = {(r["sku"], r["warehouse_code"]): r["on_hand"] for r in body["data"]}
    assert rows[("A", "EAST")] == 10 and rows[("C", "EAST")] == 12  # A's +5 was not committed
    events = Event.objects.filter(account=account, type=EVENT).order_by("pk")
    a_late = events.filter(data__sku="A").last()
    c_seen = events.filter(data__sku="C").last()
    assert a_late.pk < c_seen.pk  # the case an id cursor gets wrong
    channel = channel_from(body)
    _, ids = sync(api, channel, body["meta"]["sync_token"])
    assert a_late.public_id in ids and c_seen.public_id not in ids
    assert channel.agrees_with(inventory(api))


@pytest.mark.django_db(transaction=True)
def test_a_channel_from_the_snapshot_and_events_ends_where_the_inventory_is(
    settings, close_db_in_threads
):
    """500 random operations of every kind: 150 before the snapshot, 350 after it with the
    channel following the sync feed. Its map is GET /v1/inventory at every tenth operation
    and at the end."""
    settings.VECTIS_RATE_LIMIT_ENABLED = False
    account, _, warehouses = _world()
    api = Api(account)
    ops = Operations(api, warehouses, seed=23)
    for _ in range(150):
        ops.run()
    body = snapshot(api)
    channel, token = channel_from(body), body["meta"]["sync_token"]
    assert channel.agrees_with(inventory(api))
    received = []
    for n in range(349):
        ops.run()
        if n % 10 == 9:
            token, ids = sync(api, channel, token)
            received += ids
            assert channel.agrees_with(inventory(api)), ops.done
    ops.run(ops.last_holds)
    token, ids = sync(api, channel, token)
    received += ids
    assert channel.agrees_with(inventory(api))
    assert len(received) == len(set(received)) > 100  # none twice
    assert set(ops.done) == {*ops.names, "last_holds"}
    assert sum(ops.done.values()) == 500


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_while_the_channel_snapshots_and_follows(settings, close_db_in_threads):
    """4 threads run 75 random operations each while a channel takes its snapshot in the
    middle of their writes and then follows the sync feed; when they are done and it has
    caught up, its map is GET /v1/inventory exactly."""
    settings.VECTIS_RATE_LIMIT_ENABLED = False
    account, stock, warehouses = _world()
    for sku in Operations.skus:
        for wh in warehouses:
            stock.receive(stock.products[sku], wh, 40)
    started = threading.Barrier(5)
    halfway = threading.Event()
    errors: list[BaseException] = []
    running = []

    def writer(n: int) -> None:
        try:
            ops = Operations(Api(account), warehouses, seed=100 + n, prefix=f"w{n}-")
            started.wait()
            for i in range(75):
                ops.run()
                if i == 30:
                    halfway.set()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
        running.append(t)
    api = Api(account)
    started.wait()
    assert halfway.wait(60)
    body = snapshot(api)  # while the writers write
    channel, token = channel_from(body), body["meta"]["sync_token"]
    received = []
    while any(t.is_alive() for t in threads):
        token, ids = sync(api, channel, token)
        received += ids
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert errors == [], errors[:3]
    token, ids = sync(api, channel, token)
    received += ids
    assert channel.agrees_with(inventory(api))
    assert len(received) == len(set(received)) > 50


@pytest.mark.django_db
def test_a_token_older_than_the_events_kept_or_from_another_database_is_expired(settings):
    import json as jsonlib

    from vectis import crypto
    from webhooks import sync as webhooks_sync

    account, _, _ = _world()
    api = Api(account)
    fresh = webhooks_sync.now()

    def crafted(since, *, age_days: float = 0) -> str:
        payload = jsonlib.dumps([webhooks_sync.VERSION, since, None, 0]).encode()
        issued = int(time.time() - age_days * 86400)
        return crypto.fernet().encrypt_at_time(payload, issued).decode()

    ahead = "999999990:999999999:" if isinstance(fresh.since, str) else 10**12
    for token in (
        crafted(fresh.since, age_days=settings.VECTIS_RETENTION_EVENTS_DAYS + 1),
        crafted(ahead),  # a restore gave this database lower transaction ids
    ):
        response = api.get("/v1/events/sync", {"token": token})
        assert response.status_code == 400, response.content
        assert error_of(response)["code"] == "token_expired"
    # a recent token of this database is fine
    assert (
        api.get("/v1/events/sync", {"token": crafted(fresh.since, age_days=1)}).status_code == 200
    )
