from orders.models import Order
from tests.factories import order_body


def order(external_id: str, quantity: int, priority: int = 0) -> dict:
    data = order_body(
        external_id,
        items=[{"sku": "WIDGET-BLU", "quantity": quantity, "price": 10}],
        priority=priority,
    )
    return data


def test_backorders_are_filled_on_receipt_by_priority_then_age(
    api, stock, django_capture_on_commit_callbacks
):
    wh = stock.warehouse()
    widget = stock.product("WIDGET-BLU")
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/v1/orders", order("A", 2)).json()["id"]
        second = api.post("/v1/orders", order("B", 2)).json()["id"]
        urgent = api.post("/v1/orders", order("C", 2, priority=5)).json()["id"]

    def status(order_id):
        o = Order.objects.get(public_id=order_id)
        return o.status, o.lines.get().quantity_allocated

    assert [status(o) for o in (first, second, urgent)] == [("backordered", 0)] * 3

    with django_capture_on_commit_callbacks(execute=True):
        stock.receive(widget, wh, 3)
    assert [status(o) for o in (first, second, urgent)] == [
        ("partially_allocated", 1),
        ("backordered", 0),
        ("allocated", 2),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        stock.receive(widget, wh, 3)
    assert [status(o) for o in (first, second, urgent)] == [
        ("allocated", 2),
        ("allocated", 2),
        ("allocated", 2),
    ]


def test_a_cancelled_order_frees_stock_for_the_backorders(
    api, stock, django_capture_on_commit_callbacks
):
    wh = stock.warehouse()
    stock.receive(stock.product("WIDGET-BLU"), wh, 2)
    with django_capture_on_commit_callbacks(execute=True):
        holder = api.post("/v1/orders", order("A", 2)).json()["id"]
        waiting = api.post("/v1/orders", order("B", 2)).json()["id"]
    assert Order.objects.get(public_id=waiting).status == "backordered"
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/v1/orders/{holder}/cancel")
    assert Order.objects.get(public_id=waiting).status == "allocated"
