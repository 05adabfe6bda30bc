"""inventory.available_changed: whenever the stock a channel shows changes, for any reason, one
event per (SKU, warehouse) per transaction with the counts at commit, the product's total and
the causes; kits made of a changed product get theirs. A subscriber that keeps its own map
from these events alone ends where GET /v1/inventory is."""

import random

import pytest
from django.db import transaction

from inventory import services
from tests.factories import order_body
from tests.inventory.channel import EVENT, Channel, Operations, inventory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def changes(after: int = 0) -> list[Event]:
    return list(Event.objects.filter(type=EVENT, pk__gt=after).order_by("pk"))


def last_id() -> int:
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_an_adjustment_announces_the_warehouse_and_the_total(api, stock):
    tee = stock.product("TEE")
    east, west = stock.warehouse("EAST"), stock.warehouse("WEST")
    stock.receive(tee, west, 4)
    mark = last_id()

    response = api.post(
        "/v1/inventory/adjust",
        {"sku": "TEE", "warehouse_id": east.public_id, "quantity": 10, "reason": "received"},
    )
    assert response.status_code == 200, response.content

    (event,) = changes(mark)
    movement = response.json()["movements"][0]["id"]
    assert event.data == {
        "product_id": tee.public_id,
        "sku": "TEE",
        "type": "simple",
        "warehouse_id": east.public_id,
        "warehouse_code": "EAST",
        "on_hand": 10,
        "reserved": 0,
        "available": 10,
        "total": {"on_hand": 14, "reserved": 0, "available": 14},
        "causes": [{"reason": "adjusted", "movement_ids": [movement]}],
    }


def test_changes_in_one_transaction_are_one_event_with_the_counts_at_commit(stock):
    tee = stock.product("TEE")
    main = stock.warehouse("MAIN")
    location = stock.default(main)
    mark = last_id()

    with transaction.atomic():
        for quantity in (5, 3, -2):
            services.adjust(product=tee, location=location, reason="received", quantity=quantity)

    (event,) = changes(mark)
    assert (event.data["on_hand"], event.data["available"]) == (6, 6)
    assert [c["reason"] for c in event.data["causes"]] == ["adjusted"] * 3
    # while separate transactions are separate events
    stock.receive(tee, main, 1)
    stock.receive(tee, main, 1)
    assert [e.data["on_hand"] for e in changes(mark)] == [6, 7, 8]


def test_a_component_change_announces_the_kits_made_of_it(stock):
    cup, saucer = stock.product("CUP"), stock.product("SAUCER")
    stock.kit("SET", {"CUP": 1, "SAUCER": 2})
    main = stock.warehouse("MAIN")
    stock.receive(cup, main, 3)
    mark = last_id()

    stock.receive(saucer, main, 4)

    by_sku = {e.data["sku"]: e.data for e in changes(mark)}
    assert set(by_sku) == {"SAUCER", "SET"}
    assert by_sku["SET"]["type"] == "kit" and by_sku["SET"]["available"] == 2
    assert by_sku["SAUCER"]["available"] == 4


def test_a_channel_that_follows_only_the_events_ends_where_the_inventory_is(
    api, stock, account, settings
):
    # given two warehouses, three SKUs and a kit, starting from nothing
    settings.VECTIS_RATE_LIMIT_ENABLED = False  # 300 operations in a second or two
    account.auto_allocate = False
    account.save()
    warehouses = [stock.warehouse("EAST", priority=2), stock.warehouse("WEST", priority=1)]
    for sku in Operations.skus:
        stock.product(sku)
    stock.kit("KIT", {"A": 1, "B": 2})
    mark = last_id()
    ops = Operations(api, warehouses, seed=17)
    # when 300 random operations of every kind run, the channel following the events after
    # each one, then a hold on each SKU that lapses (only its expiry's event tells the channel)
    channel = Channel()
    last = [mark]

    def follow() -> None:
        for event in changes(last[0]):
            channel.apply(event.data)
            last[0] = event.pk

    checked = 0
    for operation in [*(None for _ in range(300)), ops.last_holds]:
        ops.run(operation)
        follow()
        actual = inventory(api)
        # then after every operation the channel's map is GET /v1/inventory
        assert channel.agrees_with(actual), ops.done
        checked += len(actual)
    assert set(ops.done) == {*ops.names, "last_holds"}
    assert checked > 1500  # rows compared over the walk (both warehouses, all SKUs, the kit)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_leave_the_latest_event_of_each_row_equal_to_the_inventory(
    close_db_in_threads, settings
):
    """8 threads change the same SKUs (and a kit of them) in two warehouses at once; for each
    (SKU, warehouse) the event with the highest id carries the counts GET /v1/inventory shows,
    and a SKU's latest event its total: announcements of a product are ordered by its locks."""
    import threading

    from django.db import connection

    from tests.factories import Stock
    from tests.helpers import Api, make_account

    settings.VECTIS_RATE_LIMIT_ENABLED = False
    account = make_account("Channel")
    account.auto_allocate = False
    account.save()
    stock = Stock(account)
    warehouses = [stock.warehouse("EAST", priority=2), stock.warehouse("WEST", priority=1)]
    for sku in ("A", "B"):
        product = stock.product(sku)
        for wh in warehouses:
            stock.receive(product, wh, 50)
    stock.kit("KIT", {"A": 1, "B": 1})
    mark = last_id()
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        rng = random.Random(n)
        api = Api(account)
        try:
            barrier.wait()
            for i in range(25):
                sku, wh = rng.choice(["A", "B"]), rng.choice(warehouses)
                kind = rng.choice(["adjust", "adjust", "hold", "order", "transfer"])
                if kind == "adjust":
                    body = {"sku": sku, "warehouse_id": wh.public_id, "quantity": 3}
                    api.post("/v1/inventory/adjust", {**body, "reason": "other"})
                elif kind == "hold":
                    items = [{"sku": sku, "quantity": 1}]
                    api.post("/v1/inventory/reserve", {"reference": f"c{n}-{i}", "items": items})
                elif kind == "order":
                    items = [{"sku": rng.choice(["A", "B", "KIT"]), "quantity": 1}]
                    created = api.post("/v1/orders", order_body(f"C{n}-{i}", items=items))
                    if created.status_code == 201:
                        order = created.json()["id"]
                        api.post(f"/v1/orders/{order}/allocate")
                        if rng.random() < 0.5:
                            api.post(f"/v1/orders/{order}/ship")
                else:
                    src, dst = rng.sample(warehouses, 2)
                    body = {"sku": sku, "quantity": 2, "from_warehouse_id": src.public_id}
                    api.post("/v1/inventory/transfer", {**body, "to_warehouse_id": dst.public_id})
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[:3]

    latest: dict[tuple[str, str], dict] = {}
    latest_of_sku: dict[str, dict] = {}
    for event in changes(mark):
        latest[(event.data["sku"], event.data["warehouse_id"])] = event.data
        latest_of_sku[event.data["sku"]] = event.data
    actual = inventory(Api(account))
    assert len(actual) == 6  # A, B and the kit in both warehouses
    for key, counts in actual.items():
        data = latest[key]
        assert (data["on_hand"], data["reserved"], data["available"]) == counts, key
    for sku in ("A", "B", "KIT"):
        rows = [counts for (s, _), counts in actual.items() if s == sku]
        total = {
            "on_hand": sum(r[0] for r in rows),
            "reserved": sum(r[1] for r in rows),
            "available": sum(r[2] for r in rows),
        }
        # the SKU's latest event, in whichever warehouse, has its total over all of them
        assert latest_of_sku[sku]["total"] == total, sku
