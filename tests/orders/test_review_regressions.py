"""Edge cases of the order lifecycle (each one a defect found in review)."""

from urllib.parse import quote

import pytest

from inventory.models import Reservation, StockLevel
from inventory.selectors import verify_ledger
from orders.models import Order, OrderEvent, OrderLine
from orders.services import allocate_backorders
from tests.factories import order_body
from tests.helpers import error_of
from webhooks.models import Event


@pytest.fixture
def manual(account):
    account.auto_allocate = False
    account.save()
    return account


def create(api, items, external_id="E-1", **extra):
    data = order_body()
    data.update(external_id=external_id, items=items, **extra)
    response = api.post("/v1/orders", data)
    assert response.status_code == 201, response.content
    return response.json()


def reserved_total():
    return sum(StockLevel.objects.values_list("reserved", flat=True))


def test_a_kit_recipe_cannot_change_while_orders_hold_its_components(api, stock, manual):
    wh = stock.warehouse()
    mug, tee = stock.product("MUG"), stock.product("TEE")
    kit = stock.kit("SET", {"MUG": 2, "TEE": 1})
    stock.receive(mug, wh, 10)
    stock.receive(tee, wh, 10)
    order = create(api, [{"sku": "SET", "quantity": 1}])
    api.post(f"/v1/orders/{order['id']}/allocate")
    response = api.patch(
        f"/v1/products/{kit.public_id}", {"components": [{"sku": "MUG", "quantity": 1}]}
    )
    assert (response.status_code, error_of(response)["code"]) == (409, "kit_in_use")
    assert api.post(f"/v1/orders/{order['id']}/cancel").json()["status"] == "cancelled"
    assert reserved_total() == 0
    # nothing reserved any more: the recipe may change
    assert (
        api.patch(
            f"/v1/products/{kit.public_id}", {"components": [{"sku": "MUG", "quantity": 1}]}
        ).status_code
        == 200
    )


def test_partial_cancel_of_a_partially_allocated_order_stays_backordered(api, stock, account):
    wh = stock.warehouse()
    a, b = stock.product("A"), stock.product("B")
    stock.receive(a, wh, 5)
    account.auto_allocate = False
    account.save()
    order = create(api, [{"sku": "A", "quantity": 5}, {"sku": "B", "quantity": 5}])
    assert api.post(f"/v1/orders/{order['id']}/allocate").json()["status"] == (
        "partially_allocated"
    )
    after = api.post(
        f"/v1/orders/{order['id']}/cancel", {"items": [{"sku": "A", "quantity": 5}]}
    ).json()
    assert after["status"] == "backordered"
    stock.receive(b, wh, 5)
    assert allocate_backorders() == 1
    assert Order.objects.get(public_id=order["id"]).status == "allocated"


def test_release_hold_returns_a_backordered_order_to_backordered(api, stock, manual):
    stock.warehouse()
    stock.product("A")
    order = create(api, [{"sku": "A", "quantity": 1}])
    assert api.post(f"/v1/orders/{order['id']}/allocate").json()["status"] == "backordered"
    api.post(f"/v1/orders/{order['id']}/hold", {"reason": "check"})
    assert api.post(f"/v1/orders/{order['id']}/release_hold").json()["status"] == "backordered"


def test_the_backorder_sweep_is_silent_when_nothing_changes(api, stock, manual):
    wh = stock.warehouse()
    stock.receive(stock.product("A"), wh, 1)
    order = create(api, [{"sku": "A", "quantity": 3}])
    api.post(f"/v1/orders/{order['id']}/allocate")
    before = (OrderEvent.objects.count(), Event.objects.count())
    assert allocate_backorders() == 0
    assert allocate_backorders() == 0
    assert (OrderEvent.objects.count(), Event.objects.count()) == before


def test_a_planned_line_falls_back_to_any_warehouse(api, stock, manual):
    w1, w2 = stock.warehouse("W1", priority=10), stock.warehouse("W2")
    x = stock.product("X")
    stock.receive(x, w1, 6)
    stock.receive(x, w2, 6)
    order = create(api, [{"sku": "X", "quantity": 10}, {"sku": "X", "quantity": 2}])
    allocated = api.post(f"/v1/orders/{order['id']}/allocate").json()
    assert allocated["status"] == "allocated"
    assert [i["quantity_allocated"] for i in allocated["items"]] == [10, 2]
    assert reserved_total() == 12


def test_cancelling_the_rest_of_a_partially_shipped_order_completes_it(api, stock, manual):
    wh = stock.warehouse()
    stock.receive(stock.product("A"), wh, 10)
    order = create(api, [{"sku": "A", "quantity": 10}])
    api.post(f"/v1/orders/{order['id']}/allocate")
    api.post(
        f"/v1/orders/{order['id']}/ship",
        {"packages": [{"warehouse_id": wh.public_id, "lines": [{"sku": "A", "quantity": 4}]}]},
    )
    done = api.post(f"/v1/orders/{order['id']}/cancel").json()
    assert done["status"] == "shipped"
    assert (done["items"][0]["quantity_shipped"], done["items"][0]["quantity_cancelled"]) == (4, 6)
    assert Event.objects.filter(type="order.shipped").count() == 1
    assert reserved_total() == 0
    assert verify_ledger()[1] == []


def test_patch_item_edge_cases_are_clear_4xx(api, stock, manual):
    wh = stock.warehouse()
    stock.receive(stock.product("A"), wh, 5)
    stock.product("B")
    order = create(api, [{"sku": "A", "quantity": 5}, {"sku": "B", "quantity": 2}])
    line_a, line_b = (i["id"] for i in order["items"])
    path = f"/v1/orders/{order['id']}"
    twice = api.patch(
        path, {"items": [{"line_id": line_a, "quantity": 0}, {"line_id": line_a, "quantity": 0}]}
    )
    assert (twice.status_code, error_of(twice)["field"]) == (400, "items[1].line_id")
    unknown = api.patch(
        path, {"items": [{"line_id": line_a, "quantity": 4}, {"sku": "NOPE", "quantity": 1}]}
    )
    assert (unknown.status_code, error_of(unknown)["field"]) == (400, "items[1].sku")
    # a read-only field is a 400 on every resource (409 field_locked is for state locks)
    fixed = api.patch(path, {"channel": "amazon"})
    assert (fixed.status_code, error_of(fixed)["code"], error_of(fixed)["field"]) == (
        400,
        "validation_error",
        "channel",
    )
    assert error_of(fixed)["details"][0]["code"] == "read_only"
    # a line with a reservation history is cancelled rather than deleted
    api.post(f"/v1/orders/{order['id']}/allocate")
    api.post(f"/v1/orders/{order['id']}/deallocate")
    api.post(f"/v1/orders/{order['id']}/cancel", {"items": [{"sku": "B", "quantity": 1}]})
    removed = api.patch(path, {"items": [{"line_id": line_b, "quantity": 0}]})
    assert removed.status_code == 200, removed.content
    assert OrderLine.objects.get(public_id=line_b).quantity_cancelled == 2
    assert OrderLine.objects.filter(public_id=line_a).exists()
    cancel_two = api.post(
        f"/v1/orders/{order['id']}/cancel", {"items": [{"sku": "A", "quantity": 2}]}
    )
    assert cancel_two.status_code == 200
    refused = api.patch(path, {"items": [{"line_id": line_a, "quantity": 1}]})
    assert (refused.status_code, error_of(refused)["field"]) == (400, "items[0].quantity")


def test_money_limits(api, stock, manual):
    stock.product("A")
    data = order_body(items=[{"sku": "A", "quantity": 1_000_000, "price": "9999999999"}])
    huge = api.post("/v1/orders", data)
    assert (huge.status_code, error_of(huge)["code"]) == (400, "amount_too_large")
    data["items"] = [{"sku": "A", "quantity": 1, "price": "10"}]
    data["totals"] = {"discount": "50"}
    negative = api.post("/v1/orders", data)
    assert (negative.status_code, error_of(negative)["field"]) == (400, "totals.discount")
    assert Order.objects.count() == 0


def test_reserving_one_sku_twice_for_an_order_caps_at_its_open_units(api, stock, manual):
    wh = stock.warehouse()
    stock.receive(stock.product("A"), wh, 10)
    order = create(api, [{"sku": "A", "quantity": 3}])
    response = api.post(
        "/v1/inventory/reserve",
        {
            "order_id": order["id"],
            "items": [{"sku": "A", "quantity": 3}, {"sku": "A", "quantity": 3}],
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["order"]["items"][0]["quantity_allocated"] == 3
    assert reserved_total() == 3


def test_a_sku_on_several_lines_is_spread_over_them(api, stock, manual):
    wh = stock.warehouse()
    stock.receive(stock.product("A"), wh, 10)
    order = create(api, [{"sku": "A", "quantity": 2}, {"sku": "A", "quantity": 3}])
    api.post(f"/v1/orders/{order['id']}/allocate")
    response = api.post(
        f"/v1/orders/{order['id']}/cancel", {"items": [{"sku": "A", "quantity": 4}]}
    )
    assert response.status_code == 200, response.content
    assert [i["quantity_cancelled"] for i in response.json()["items"]] == [2, 2]
    assert reserved_total() == 1
    bad = api.post(
        f"/v1/orders/{order['id']}/ship",
        {
            "packages": [
                {"warehouse_id": wh.public_id, "lines": [{"line_id": "lin_x", "quantity": 1}]}
            ]
        },
    )
    assert (bad.status_code, error_of(bad)["field"]) == (400, "packages[0].lines[0].line_id")


def test_lookup_by_an_external_id_with_a_slash(api, stock, manual):
    stock.product("A")
    order = create(api, [{"sku": "A", "quantity": 1}], external_id="2026/11/0042")
    response = api.get(f"/v1/orders/by_external_id/shopify/{quote('2026/11/0042', safe='/')}")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == order["id"]
    assert Reservation.objects.count() == 0
